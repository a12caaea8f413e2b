import { maskKey } from '@app/common';

// One case-insensitive pass over the text; every alternative is a flat character class with a
// length bound, so the scan stays linear. Each alternative captures (prefix, secret): the prefix is
// kept and the secret masked. Values that are already masked (`…`, `*`) are not matched again.
const SECRET_SOURCE = [
  // `Bearer <token>` / `Basic <token>` in an Authorization value
  String.raw`(\b(?:bearer|basic)\s+)([A-Za-z0-9._~+/=-]{8,})`,
  // `name: value`, `name=value`, `"name": "value"` for names that hold secrets
  String.raw`(\b(?:api[_-]?key|x-api-key|x-goog-api-key|x-management-key|access[_-]?token|refresh[_-]?token|id[_-]?token|client[_-]?secret|secret[_-]?key|secret|password|passwd|token|key)["']?\s*[:=]\s*["']?)([^\s"'&,;}<>…*]{6,})`,
  // the password of a URL: `redis://user:pass@host`
  String.raw`(://[^/\s:@]{0,256}:)([^/\s@*]{1,256})(?=@)`,
  // well-known shapes wherever they stand: OpenAI/Anthropic `sk-…`, Google API keys and OAuth
  // tokens, JWTs, GitHub tokens
  String.raw`()(\bsk-[A-Za-z0-9_-]{16,}|\bAIza[0-9A-Za-z_-]{30,}|\bya29\.[0-9A-Za-z_-]{10,}|\b1//[0-9A-Za-z_-]{20,}|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|\bgh[pousr]_[A-Za-z0-9]{20,})`,
].join('|');

const SECRET_PATTERN = new RegExp(SECRET_SOURCE, 'gi');

// Cheap pre-check: text without any of these can hold none of the shapes above, and most log
// lines are such text.
const TRIGGER = /bearer|basic|key|token|secret|passw|:\/\/|sk-|aiza|ya29|1\/\/|eyj|gh[pousr]_/i;

function replaceSecret(match: string, ...groups: unknown[]): string {
  for (let i = 0; i < 8; i += 2) {
    const secret = groups[i + 1];
    if (typeof secret === 'string' && secret !== '') {
      const prefix = (groups[i] as string | undefined) ?? '';
      // a URL password is hidden whole; tokens keep their last characters to tell them apart
      return prefix + (i === 4 ? '****' : maskKey(secret));
    }
  }
  return match;
}

/**
 * Hide anything in `text` that looks like a credential: bearer tokens, API keys (`sk-…`,
 * `AIza…`), OAuth tokens, JWTs, `password=…`-style pairs and URL passwords. Used on every process
 * log line and on error logs before they are stored.
 */
export function maskSecrets(text: string): string {
  if (!TRIGGER.test(text)) return text;
  return text.replace(SECRET_PATTERN, replaceSecret);
}

// Header names whose values are credentials (CLIProxyAPI masks the same family).
const SENSITIVE_HEADER =
  /^(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-goog-api-key|api-key|x-management-key)$|token|secret|password|session|(?:^|-)key$/i;

/** True for header names whose values are secrets (`authorization`, `x-api-key`, `*-token`…). */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name);
}

/** Mask one header value: sensitive headers keep only a scheme and the last characters. */
export function maskHeaderValue(name: string, value: string): string {
  if (!isSensitiveHeader(name)) return maskSecrets(value);
  const space = value.indexOf(' ');
  if (space > 0 && space < 16) {
    return `${value.slice(0, space)} ${maskKey(value.slice(space + 1).trim())}`;
  }
  return maskKey(value);
}

/** Header map as it comes from Node (`IncomingHttpHeaders`) or a plain record. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** `Name: value` lines with secret values masked, one per value. */
export function maskedHeaderLines(headers: HeaderMap | undefined): string[] {
  const lines: string[] = [];
  if (!headers) return lines;
  for (const name of Object.keys(headers)) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? (raw as readonly string[]) : [String(raw)];
    for (const v of values) lines.push(`${name}: ${maskHeaderValue(name, v)}`);
  }
  return lines;
}
