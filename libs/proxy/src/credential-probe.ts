import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConfigService } from '@app/config';
import { createContext, parseClientRequest, providerFor, PROVIDERS } from '@app/llm';
import { needsInlineRefresh, TokenRefreshService } from '@app/oauth';
import { CredentialService } from '@app/routing';
import { UpstreamHttp } from '@app/upstream';
import { CandidateSource, upstreamName } from '@app/proxy/candidate-source';
import { toCandidate } from '@app/proxy/routing-candidate-source';
import {
  buildUpstreamRequest,
  readCapped,
  transportFailure,
  upstreamFailure,
} from '@app/proxy/upstream-request';

/** The outcome of testing one credential. */
export interface ProbeResult {
  ok: boolean;
  /** Upstream status; 0 when it never answered. */
  status: number;
  /** The model the test asked for (as the upstream names it). */
  model: string;
  latency_ms: number;
  /** Why it failed, in the upstream's or the gateway's words (secrets masked). */
  message: string;
}

/** Thrown for a credential that cannot be tested at all (unknown, disabled, serves nothing). */
export class ProbeRefusedError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeRefusedError';
  }
}

/**
 * "Test this account": one tiny generation (a one-word prompt, one output token) sent to one
 * credential for one of its models, outside the client routes, with the credential's own base
 * URL, proxy and headers. The outcome is recorded like any attempt's (a success clears that
 * model's cooldown, a failure benches it as the cooldown policy says), so the panel then shows
 * the state the test found.
 */
@Injectable()
export class CredentialProbe {
  constructor(
    private readonly credentials: CredentialService,
    private readonly config: ConfigService,
    private readonly http: UpstreamHttp,
    private readonly source: CandidateSource,
    private readonly tokens: TokenRefreshService,
  ) {}

  async test(authIndex: string, wantModel?: string): Promise<ProbeResult> {
    const snap = this.credentials.snapshot();
    let cred = snap.byAuthIndex.get(authIndex);
    if (!cred) throw new ProbeRefusedError(404, `auth_index: no credential ${authIndex}`);
    if (cred.disabled) {
      throw new ProbeRefusedError(400, `${cred.label} is disabled; enable it before testing`);
    }
    if (!(cred.provider in PROVIDERS)) {
      throw new ProbeRefusedError(400, `${cred.provider} credentials cannot be tested from here`);
    }
    const served = snap.registry.modelsOf(authIndex);
    const clientModel = wantModel && served.includes(wantModel) ? wantModel : served[0];
    if (!clientModel) throw new ProbeRefusedError(400, `${cred.label} serves no model to test`);
    const route = snap.registry
      .resolve(clientModel)
      .find((r) => r.credential.authIndex === authIndex);
    if (!route) throw new ProbeRefusedError(400, `${cred.label} does not serve ${clientModel}`);
    if (needsInlineRefresh(cred, Date.now())) {
      cred = (await this.tokens.ensureFresh(cred)) ?? cred;
    }
    const cfg = this.config.current;
    const cand = toCandidate(
      { ...route, credential: cred },
      { baseUrls: cfg['provider-base-urls'], proxyUrl: cfg['proxy-url'] },
    );
    if (!cand) throw new ProbeRefusedError(400, `${cred.label} has no token to test with`);

    const adapter = providerFor(cand.provider);
    const ctx = createContext({ upstreamModel: cand.stateModel });
    const body = {
      model: clientModel,
      messages: [{ role: 'user', content: 'Reply with the word ok.' }],
      max_tokens: 1,
    };
    const up = buildUpstreamRequest(
      { format: 'openai', action: 'generate', route: 'credential-test' },
      parseClientRequest('openai', body, ctx),
      body,
      ctx,
      cand,
      adapter,
      false,
      randomUUID(),
    );
    const started = Date.now();
    const t = cfg['upstream-timeouts'];
    const timeouts = { headerSeconds: t['header-seconds'], idleSeconds: t['idle-seconds'] };
    const result = (status: number, message: string): ProbeResult => ({
      ok: status >= 200 && status < 300,
      status,
      model: cand.stateModel,
      latency_ms: Date.now() - started,
      message,
    });
    try {
      const res = await this.http.request(up.url, {
        method: 'POST',
        headers: up.headers,
        body: up.body,
        proxyUrl: cand.proxyUrl,
        headersTimeoutMs: t['header-seconds'] * 1000,
      });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // One output token: the answer is small; read it so the connection is reused.
        await res.body.dump().catch(() => undefined);
        this.source.reportSuccess(cand);
        return result(res.statusCode, '');
      }
      const text = await readCapped(res.body).catch(() => '');
      const f = upstreamFailure(adapter, res.statusCode, res.headers, text, cand.token);
      await this.source.reportFailure(cand, f.status, f.retryAfterSec, f.error.message);
      return result(res.statusCode, f.error.message);
    } catch (err) {
      const f = transportFailure(err, upstreamName(cand), timeouts);
      await this.source.reportFailure(cand, f.status, f.retryAfterSec, f.error.message);
      return result(0, f.error.message);
    }
  }
}
