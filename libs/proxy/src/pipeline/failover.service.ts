import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { providerFor, canCompact } from '@app/llm';
import { isRetryable, isRoundRetryable } from '@app/routing';
import { onAbort, type AbortSource } from '@app/upstream';
import {
  CandidateSource,
  upstreamName,
  type Candidate,
  type Plan,
} from '@app/proxy/candidate-source';
import { isPassthrough } from '@app/proxy/passthrough/passthrough-call';
import { UpstreamAttempt } from '@app/proxy/pipeline/attempt.service';
import { NO_UPSTREAM, refuse, sendFailure } from '@app/proxy/pipeline/error-answers';
import type { Exchange } from '@app/proxy/pipeline/exchange';
import { clientGone, noteAttempt, noteFailure } from '@app/proxy/pipeline/outcome';
import { irError } from '@app/proxy/pipeline/request-parse';
import { ProxyMetrics } from '@app/proxy/proxy.metrics';
import type { AttemptFailure } from '@app/proxy/upstream-request';

/**
 * CLIProxyAPI's retry rounds. A round tries the available credentials in the selector's order
 * (at most `max-retry-credentials`), failing over on every error except invalid requests. When
 * a round is exhausted and the last status is 403/408/429/5xx, up to `request-retry` more
 * rounds follow, first waiting for the earliest cooldown if it ends within
 * `max-retry-interval` seconds. The client gets the first success, or the last failure.
 */
@Injectable()
export class Failover {
  constructor(
    private readonly candidates: CandidateSource,
    private readonly metrics: ProxyMetrics,
    private readonly attempt: UpstreamAttempt,
  ) {}

  async run(x: Exchange): Promise<void> {
    const cfg = x.cfg;
    const perRound = cfg['max-retry-credentials'] > 0 ? cfg['max-retry-credentials'] : Infinity;
    const rounds = 1 + Math.max(0, cfg['request-retry']);
    const maxWaitSec = Math.max(0, cfg['max-retry-interval']);
    let bootstraps = x.clientStreams ? Math.max(0, cfg.streaming['bootstrap-retries']) : 0;
    let last: AttemptFailure | undefined;

    for (let round = 0; round < rounds; round++) {
      if (round > 0 && (!last || !isRoundRetryable(last.status))) break;
      let plan = await this.plan(x);
      if (plan.kind === 'cooldown' && round > 0 && plan.retryAfterSec <= maxWaitSec) {
        x.outcome.trail.push({ kind: 'wait', seconds: plan.retryAfterSec });
        await sleep(plan.retryAfterSec * 1000, x.res.signal);
        if (x.res.gone) {
          clientGone(x.outcome);
          return;
        }
        plan = await this.plan(x);
      }
      if (plan.kind === 'none') {
        if (last) break;
        const model = x.call.provider ? `${x.model} (provider ${x.call.provider})` : x.model;
        return refuse(x, AppError.of('NO_CREDENTIALS', { model }));
      }
      if (plan.kind === 'cooldown') {
        // The next round waits for it (see above) when allowed to.
        if (round + 1 < rounds && plan.retryAfterSec <= maxWaitSec) continue;
        // An upstream's own error says more than "cooling down".
        if (last) break;
        const seconds = Math.max(1, Math.ceil(plan.retryAfterSec));
        return refuse(
          x,
          AppError.of(
            'MODEL_COOLDOWN',
            { model: x.model },
            { details: { reset_seconds: seconds }, headers: { 'retry-after': String(seconds) } },
          ),
        );
      }

      const candidates = compactable(x, plan.candidates);
      if (candidates.length === 0) {
        if (last) break;
        return refuse(
          x,
          AppError.of('INVALID_REQUEST', {
            detail: `/v1/responses/compact needs an OpenAI Responses or Codex upstream; model ${x.model} is served by ${plan.candidates[0]?.provider ?? 'none'}`,
          }),
        );
      }

      let tried = 0;
      for (const cand of candidates) {
        if (tried >= perRound) break;
        if (x.res.gone) {
          clientGone(x.outcome);
          return;
        }
        // A body the IR cannot read can still go to upstreams of its own format; for the others
        // it is refused, or skipped when an earlier upstream's error says more.
        if (!isPassthrough(x.call, providerFor(cand.provider).format)) {
          const error = irError(x);
          if (error) {
            if (last) continue;
            return refuse(x, AppError.of('INVALID_REQUEST', { detail: error.message }));
          }
        }
        if (last) this.metrics.countFailover(upstreamName(cand));
        tried++;
        x.outcome.attempts++;
        x.outcome.candidate = cand;
        const t0 = Date.now();
        const r = await this.attempt.run(x, cand, bootstraps > 0);
        noteAttempt(x.outcome, cand, r, Date.now() - t0);
        if (r === 'done') return;
        noteFailure(x.outcome, r);
        if (r.earlyStream) bootstraps--;
        last = r;
        if (!isRetryable(r.status, r.body)) return sendFailure(x, r);
      }
    }
    sendFailure(x, last ?? NO_UPSTREAM);
  }

  private plan(x: Exchange): Promise<Plan> {
    return this.candidates.plan(x.model, { provider: x.call.provider });
  }
}

/** The compact filter: /v1/responses/compact goes only to Responses-family upstreams. */
function compactable(x: Exchange, candidates: Candidate[]): Candidate[] {
  if (x.call.action !== 'compact') return candidates;
  return candidates.filter((c) => canCompact(providerFor(c.provider).format));
}

/** Wait `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSource): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = onAbort(signal, done);
  });
}
