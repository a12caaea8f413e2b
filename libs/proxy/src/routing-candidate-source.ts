import { Injectable, Logger } from '@nestjs/common';
import { PROVIDERS, type ProviderId } from '@app/llm';
import { CredentialService, type Credential, type RouteCandidate } from '@app/routing';
import {
  CandidateSource,
  type Candidate,
  type Plan,
  type ServedModel,
} from '@app/proxy/candidate-source';

/** Base URL of a Qwen account: its `resource_url` host, OpenAI-style under /v1. */
function qwenBaseUrl(resourceUrl: string | undefined): string | undefined {
  if (!resourceUrl) return undefined;
  const host = resourceUrl.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return `https://${host}/v1`;
}

/** The credential as the proxy calls it, or undefined when it cannot be called over HTTP. */
export function toCandidate(rc: RouteCandidate): Candidate | undefined {
  const c: Credential = rc.credential;
  if (!(c.provider in PROVIDERS)) return undefined; // aistudio travels over the WebSocket relay
  const token = c.token;
  if (!token) return undefined;
  const secret = c.secret;
  return {
    credentialId: c.id,
    authIndex: c.authIndex,
    provider: c.provider as ProviderId,
    label: c.label,
    upstreamModel: rc.upstreamModel,
    stateModel: rc.stateModel,
    baseUrl: c.baseUrl ?? (c.provider === 'qwen' ? qwenBaseUrl(secret.resourceUrl) : undefined),
    proxyUrl: c.proxyUrl,
    headers: { ...c.headers },
    token,
    oauth: c.kind === 'oauth',
    accountId: secret.accountId,
    project: secret.projectId,
    location: secret.location,
  };
}

/** CandidateSource over libs/routing: registry, shared selection and cooldown state. */
@Injectable()
export class RoutingCandidateSource extends CandidateSource {
  private readonly logger = new Logger('Routing');

  constructor(private readonly routing: CredentialService) {
    super();
  }

  async plan(model: string, opts: { provider?: string }): Promise<Plan> {
    const r = await this.routing.pick(model, { provider: opts.provider });
    if (r.kind === 'none') return { kind: 'none' };
    if (r.kind === 'cooldown') return { kind: 'cooldown', retryAfterSec: r.retryAfterSeconds };
    const candidates: Candidate[] = [];
    for (const rc of r.candidates) {
      const cand = toCandidate(rc);
      if (cand) candidates.push(cand);
    }
    return candidates.length > 0 ? { kind: 'ok', candidates } : { kind: 'none' };
  }

  async reportFailure(c: Candidate, status: number, retryAfterSec: number | undefined, message: string): Promise<void> {
    try {
      await this.routing.reportFailure({
        authIndex: c.authIndex,
        model: c.stateModel,
        status,
        retryAfterSeconds: retryAfterSec,
        message,
      });
    } catch (err) {
      this.logger.warn(`cooldown bookkeeping failed: ${(err as Error).message}`);
    }
  }

  reportSuccess(c: Candidate): void {
    this.routing.reportSuccess(c.authIndex, c.stateModel).catch(() => undefined);
  }

  listModels(opts: { provider?: string }): ServedModel[] {
    return this.routing.listModels({ provider: opts.provider }).map((m) => ({
      id: m.id,
      ownedBy: m.owned_by,
      provider: m.provider,
      created: m.created,
      displayName: m.display_name,
    }));
  }
}
