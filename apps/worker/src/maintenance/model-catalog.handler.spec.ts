import type { ConfigService } from '@app/config';
import { JobStatus } from '@app/jobs';
import type { OAuthHttpRepository } from '@app/oauth';
import type { ModelCatalogSync } from '@app/routing';
import { ModelCatalogHandler } from '@app/worker/maintenance/model-catalog.handler';

const GOOD = JSON.stringify({
  kimi: [{ id: 'kimi-k3', display_name: 'Kimi K3', owned_by: 'moonshot', created: 1 }],
});

function setup(
  url: string,
  answer: { status: number; text: string } | Error,
  stored: string | null,
) {
  const config = { current: { worker: { 'model-catalog-url': url } } } as unknown as ConfigService;
  const send = jest.fn(async () => {
    if (answer instanceof Error) throw answer;
    return answer;
  });
  const http = { send } as unknown as OAuthHttpRepository;
  const publish = jest.fn(async () => undefined);
  const catalog = { stored: async () => stored, publish } as unknown as ModelCatalogSync;
  return { sut: new ModelCatalogHandler(config, http, catalog), publish, send };
}

describe(ModelCatalogHandler.name, () => {
  const data = { scheduledBy: 'spec' };

  it('should publish a valid catalog fetched from the URL', async () => {
    const { sut, publish, send } = setup(
      'http://cat/models.json',
      { status: 200, text: GOOD },
      null,
    );
    expect(await sut.handle(data)).toBe(JobStatus.Success);
    expect(send).toHaveBeenCalledWith(
      expect.objectContaining({ method: 'GET', url: 'http://cat/models.json' }),
    );
    expect(publish).toHaveBeenCalledWith(GOOD);
  });

  it('should keep the current catalog when the URL fails or serves something invalid', async () => {
    for (const answer of [
      new Error('ECONNREFUSED'),
      { status: 500, text: '' },
      { status: 200, text: '{"nope":[]}' },
    ]) {
      const { sut, publish } = setup('http://cat', answer, GOOD);
      expect(await sut.handle(data)).toBe(JobStatus.Failed);
      expect(publish).not.toHaveBeenCalled();
    }
  });

  it('should skip an unchanged catalog and go back to the built-in one when the URL is removed', async () => {
    const same = setup('http://cat', { status: 200, text: GOOD }, GOOD);
    expect(await same.sut.handle(data)).toBe(JobStatus.Skipped);
    const cleared = setup('', { status: 200, text: '' }, GOOD);
    expect(await cleared.sut.handle(data)).toBe(JobStatus.Success);
    expect(cleared.publish).toHaveBeenCalledWith(null);
  });
});
