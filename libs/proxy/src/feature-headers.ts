import type { WireFormat } from '@app/llm';

/** The client request parts feature forwarding reads. */
export interface ClientRequestView {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The raw URL (path and query). */
  url: string;
}

/** What the attempt knows about the upstream call. */
export interface FeatureTarget {
  /** Wire format of the upstream. */
  format: WireFormat;
  /** The credential is an OAuth token (Claude needs its own beta for those). */
  oauth: boolean;
  /** Headers the operator configured on the credential: they win over the client's. */
  configured: Readonly<Record<string, string>>;
}

/** The beta a Claude OAuth access token needs; it belongs to the credential, not the client. */
const CLAUDE_OAUTH_BETA = /^oauth-\d{4}-\d{2}-\d{2}$/;

/**
 * Client headers that opt into upstream features, per upstream family. Everything else the
 * client sent (authorization, API keys, cookies, hop-by-hop and proxy headers, user agents)
 * never reaches an upstream: this is an allow-list, not a filter.
 */
const SINGLE: Readonly<Partial<Record<WireFormat, readonly string[]>>> = {
  claude: ['anthropic-version'],
  // The Codex backend keys prompt caching and turn state on the CLI's session headers.
  codex: ['session_id', 'session-id', 'conversation_id', 'thread-id'],
};
/** Header-name prefixes forwarded to an upstream family. */
const PREFIXES: Readonly<Partial<Record<WireFormat, readonly string[]>>> = {
  codex: ['x-codex-'],
};
/** Comma-separated lists merged with the gateway's own value (deduplicated, order kept). */
const LISTS: Readonly<Partial<Record<WireFormat, string>>> = {
  claude: 'anthropic-beta',
  openai: 'openai-beta',
  'openai-responses': 'openai-beta',
  codex: 'openai-beta',
};

function headerText(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  return text.trim() === '' ? undefined : text;
}

function listItems(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function isConfigured(configured: Readonly<Record<string, string>>, name: string): boolean {
  for (const key in configured) if (key.toLowerCase() === name) return true;
  return false;
}

/**
 * Add the client's feature headers to an upstream call's headers (mutated): `anthropic-beta`
 * merged with the betas the credential needs (OAuth), deduplicated, and the client's
 * `anthropic-version` for Claude upstreams; `OpenAI-Beta` merged for OpenAI-family upstreams;
 * the Codex CLI's session headers for Codex. A header the operator configured on the credential
 * is left as configured (lists are still merged into it).
 */
export function forwardFeatureHeaders(
  headers: Record<string, string>,
  client: ClientRequestView,
  target: FeatureTarget,
): void {
  const from = client.headers;
  const list = LISTS[target.format];
  if (list) {
    let items = listItems(headerText(from[list]));
    // A client's own OAuth beta means nothing for an API-key credential (the gateway owns auth).
    if (target.format === 'claude' && !target.oauth) {
      items = items.filter((b) => !CLAUDE_OAUTH_BETA.test(b));
    }
    if (items.length > 0) {
      const merged = listItems(headers[list]);
      for (const b of items) if (!merged.includes(b)) merged.push(b);
      headers[list] = merged.join(',');
    }
  }
  for (const name of SINGLE[target.format] ?? []) {
    const value = headerText(from[name]);
    if (value !== undefined && !isConfigured(target.configured, name)) headers[name] = value;
  }
  const prefixes = PREFIXES[target.format];
  if (prefixes) {
    for (const name in from) {
      if (!prefixes.some((p) => name.startsWith(p)) || isConfigured(target.configured, name)) {
        continue;
      }
      const value = headerText(from[name]);
      if (value !== undefined) headers[name] = value;
    }
  }
}

/**
 * The upstream URL with the client's `?beta=true` kept for Claude upstreams (Claude Code and
 * the SDKs' beta namespace send it; the Messages API reads it as "beta features requested").
 */
export function forwardFeatureQuery(
  url: string,
  client: ClientRequestView,
  format: WireFormat,
): string {
  if (format !== 'claude') return url;
  const q = client.url.indexOf('?');
  if (q === -1 || !/(?:^|&)beta=true(?:&|$)/.test(client.url.slice(q + 1))) return url;
  return url.includes('?') ? `${url}&beta=true` : `${url}?beta=true`;
}
