import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ConfigService } from '@app/config';
import { PANEL_DIR, PanelAssetsRepository } from '@app/gateway/panel/panel-assets.repository';
import { PanelController } from '@app/gateway/panel/panel.controller';
import { ASSET_CACHE, PANEL_CSP } from '@app/gateway/panel/panel-http';

const HTML =
  '<!doctype html><title>panel</title><script type="module" src="/management/assets/app-1.js"></script>';
const JS = `console.log(${JSON.stringify('x'.repeat(4000))});`;

describe(PanelController.name, () => {
  let dir: string;
  let app: NestFastifyApplication;
  const config = { current: { 'remote-management': { 'disable-control-panel': false } } };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-panel-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'management.html'), HTML);
    writeFileSync(join(dir, 'assets', 'app-1.js'), JS);
    writeFileSync(join(dir, 'assets', 'icon-2.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, 'secret.txt'), 'outside the assets folder');
    const moduleRef = await Test.createTestingModule({
      controllers: [PanelController],
      providers: [
        PanelAssetsRepository,
        { provide: PANEL_DIR, useValue: dir },
        { provide: ConfigService, useValue: config },
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    config.current['remote-management']['disable-control-panel'] = false;
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });

  it('should serve the page uncached with a strict CSP', async () => {
    const res = await get('/management.html');
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(HTML);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(PANEL_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  it('should serve hashed assets with their type and a long cache', async () => {
    const js = await get('/management/assets/app-1.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe(ASSET_CACHE);
    expect(js.body).toBe(JS);
    const svg = await get('/management/assets/icon-2.svg');
    expect(svg.headers['content-type']).toBe('image/svg+xml');
  });

  it('should gzip large files for clients that take it', async () => {
    const res = await get('/management/assets/app-1.js', { 'accept-encoding': 'gzip, br' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(res.rawPayload).toString()).toBe(JS);
    expect(res.rawPayload.length).toBeLessThan(JS.length);
  });

  it('should answer 304 when the client holds the current version', async () => {
    const first = await get('/management.html');
    const again = await get('/management.html', { 'if-none-match': String(first.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('should not serve anything outside the assets folder', async () => {
    for (const url of [
      '/management/assets/..%2Fsecret.txt',
      '/management/assets/%2e%2e%2fmanagement.html',
      '/management/assets/..%5Csecret.txt',
      '/management/assets/missing-9.js',
      '/management/assets/.hidden',
    ]) {
      const res = await get(url);
      expect([400, 404]).toContain(res.statusCode);
      expect(res.body).not.toContain('outside the assets folder');
    }
  });

  it('should hide the panel while disable-control-panel is set, and bring it back', async () => {
    config.current['remote-management']['disable-control-panel'] = true;
    expect((await get('/management.html')).statusCode).toBe(404);
    expect((await get('/management/assets/app-1.js')).statusCode).toBe(404);
    config.current['remote-management']['disable-control-panel'] = false;
    expect((await get('/management.html')).statusCode).toBe(200);
  });
});
