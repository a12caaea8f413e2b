import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import { buildInfo } from '@app/common';

// bcrypt's modular crypt format, as Go's x/crypto/bcrypt and bcryptjs write it.
const BCRYPT_HASH = /^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** True when a configured secret is already a bcrypt hash (else it is plain text). */
export function isBcryptHash(value: string): boolean {
  return BCRYPT_HASH.test(value);
}

function header(h: IncomingHttpHeaders, name: string): string {
  const v = h[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/**
 * The management key of a request: `Authorization: Bearer <key>` (any other Authorization value is
 * taken whole, as CLIProxyAPI does), else `X-Management-Key`. Empty when neither is sent.
 */
export function extractManagementKey(headers: IncomingHttpHeaders): string {
  const auth = header(headers, 'authorization').trim();
  if (auth) {
    const space = auth.indexOf(' ');
    if (space > 0 && auth.slice(0, space).toLowerCase() === 'bearer')
      return auth.slice(space + 1).trim();
    return auth;
  }
  return header(headers, 'x-management-key').trim();
}

/** Set CLIProxyAPI's version headers on a management response. */
export function setVersionHeaders(reply: FastifyReply): void {
  const b = buildInfo();
  void reply.header('X-CPA-VERSION', b.version);
  void reply.header('X-CPA-COMMIT', b.commit);
  void reply.header('X-CPA-BUILD-DATE', b.date);
}

/** Go's `time.Duration` text for whole seconds (CLIProxyAPI's ban message): `29m59s`, `1h0m0s`. */
export function formatGoDuration(totalSeconds: number): string {
  const t = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
