/** What an OAuth redirect carried back: a code and the state, or the provider's error. */
export interface CallbackParams {
  state?: string;
  code?: string;
  error?: string;
}

function clean(v: string | null | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/** Pick code/state/error out of query parameters (error_description when error is absent). */
export function callbackFromQuery(q: URLSearchParams): CallbackParams {
  return {
    state: clean(q.get('state')),
    code: clean(q.get('code')),
    error: clean(q.get('error')) ?? clean(q.get('error_description')),
  };
}

/**
 * Read what a user pasted after a login: the whole redirect URL
 * (`http://localhost:54545/callback?code=…&state=…`), just its query string, or Claude's
 * `code#state` pair. Parameters in a `#fragment` count too (some providers put them there).
 * Returns undefined when nothing usable is in the text.
 */
export function parsePastedCallback(text: string): CallbackParams | undefined {
  const input = text.trim();
  if (!input) return undefined;
  let query: URLSearchParams | undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return undefined;
    }
    query = new URLSearchParams(url.search);
    const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
    for (const key of ['code', 'state', 'error', 'error_description']) {
      if (!query.has(key) && fragment.has(key)) query.set(key, fragment.get(key) ?? '');
    }
  } else if (input.includes('=')) {
    query = new URLSearchParams(input.replace(/^[?#]/, ''));
  }
  if (query) {
    const params = callbackFromQuery(query);
    return params.code || params.error ? withSplitCode(params) : undefined;
  }
  // Claude's hosted page shows `<code>#<state>`.
  const [code, state] = input.split('#', 2);
  return code ? { code: code.trim(), state: clean(state) } : undefined;
}

/** Claude may append `#<state>` to the code itself; split it off (the state must match). */
export function withSplitCode(params: CallbackParams): CallbackParams {
  if (!params.code?.includes('#')) return params;
  const [code, fromCode] = params.code.split('#', 2);
  return { ...params, code, state: params.state ?? clean(fromCode) };
}
