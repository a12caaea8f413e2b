import type { ReplicatedHashCodec } from '@app/storage';
import { isStale, type ModelState } from '@app/routing/credential-state.policy';

/** Stored form (short keys: it is written on every failure and published to every replica). */
interface StoredState {
  c: number;
  l: number;
  q: number;
  t: number;
  e?: { s: number; m: string; t: number };
  x?: { m: string; t: number; f?: string };
}

function encode(s: ModelState): StoredState {
  const out: StoredState = {
    c: s.cooldownUntil,
    l: s.level,
    q: s.quotaExceededUntil,
    t: s.updatedAt,
  };
  if (s.lastError) out.e = { s: s.lastError.status, m: s.lastError.message, t: s.lastError.at };
  if (s.error) {
    out.x = { m: s.error.message, t: s.error.at };
    if (s.error.fingerprint) out.x.f = s.error.fingerprint;
  }
  return out;
}

function decode(v: unknown): ModelState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Partial<StoredState>;
  if (
    typeof o.c !== 'number' ||
    typeof o.l !== 'number' ||
    typeof o.q !== 'number' ||
    typeof o.t !== 'number'
  ) {
    return undefined;
  }
  return {
    cooldownUntil: o.c,
    level: o.l,
    quotaExceededUntil: o.q,
    updatedAt: o.t,
    ...(o.e && typeof o.e.s === 'number'
      ? { lastError: { status: o.e.s, message: String(o.e.m ?? ''), at: Number(o.e.t) || 0 } }
      : {}),
    ...(o.x && typeof o.x.m === 'string'
      ? {
          error: {
            message: o.x.m,
            at: Number(o.x.t) || 0,
            ...(typeof o.x.f === 'string' ? { fingerprint: o.x.f } : {}),
          },
        }
      : {}),
  };
}

/** How credential state is stored in the shared hash and compared between replicas. */
export const MODEL_STATE_CODEC: ReplicatedHashCodec<ModelState> = {
  encode,
  decode,
  version: (s) => s.updatedAt,
  isStale,
};
