// The credentials page's OAuth login: the provider menu, the redirect or device flow while it
// waits, and the gate that hides it where the management API has no OAuth routes.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { asApiError, useAction, usePanel, useResource } from '../components/hooks';
import { LoadProblem } from '../components/ui';
import { ApiError } from '../lib/api-error';
import type { AuthStatus, AuthUrl } from '../lib/types';
import { loginOptions, type LoginOption } from '../lib/providers';

type LoginState =
  | { kind: 'idle' }
  | {
      kind: 'waiting';
      url: string;
      state: string;
      userCode?: string;
      provider: string;
      /** The route id the login was started with (what oauth-callback takes as provider). */
      providerId: string;
    }
  | { kind: 'done'; provider: string }
  | { kind: 'failed'; message: string };

/** Start an OAuth login and poll its status until the account file is written. */
function OAuthLogin({ onDone }: { onDone: () => void }) {
  const { api, providers } = usePanel();
  // The logins the gateway can start, from its provider registry.
  const logins = useMemo(() => loginOptions(providers), [providers]);
  const [provider, setProvider] = useState<string>('');
  const [project, setProject] = useState('');
  const [login, setLogin] = useState<LoginState>({ kind: 'idle' });
  const { busy, run } = useAction();
  const selected: LoginOption | undefined = logins.find((l) => l.id === provider) ?? logins[0];

  useEffect(() => {
    if (login.kind !== 'waiting') return;
    let stopped = false;
    const started = Date.now();
    const poll = async () => {
      while (!stopped && Date.now() - started < 10 * 60_000) {
        await new Promise((r) => setTimeout(r, 2000));
        if (stopped) return;
        try {
          const s = await api.get<AuthStatus>('/v0/management/get-auth-status', {
            state: login.state,
          });
          if (stopped) return;
          if (s.status === 'ok') {
            setLogin({ kind: 'done', provider: login.provider });
            onDone();
            return;
          }
          if (s.status === 'error') {
            setLogin({ kind: 'failed', message: s.error ?? 'the provider refused the login' });
            return;
          }
        } catch (err) {
          const e = asApiError(err);
          if (e.status !== 0) {
            setLogin({ kind: 'failed', message: e.message });
            return;
          }
        }
      }
      if (!stopped)
        setLogin({ kind: 'failed', message: 'the login was not completed within 10 minutes' });
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [login, api, onDone]);

  const start = (e: Event) => {
    e.preventDefault();
    if (!selected) return;
    void run(async () => {
      const query =
        selected.project && project.trim()
          ? { project_id: project.trim(), is_webui: true }
          : { is_webui: true };
      const r = await api.get<AuthUrl>(`/v0/management/${selected.id}-auth-url`, query);
      const url = r.url ?? r.verification_uri;
      if (!url || !r.state) throw new ApiError(0, 'The gateway did not return a login URL', r);
      setLogin({
        kind: 'waiting',
        url,
        state: r.state,
        userCode: r.user_code ?? r.userCode,
        provider: selected.label,
        providerId: selected.id,
      });
    });
  };

  return (
    <div>
      <form class="inline-form" onSubmit={start}>
        <label for="oauth-provider">Provider</label>
        <select
          id="oauth-provider"
          value={selected?.id ?? ''}
          onChange={(e) => setProvider(e.currentTarget.value)}
        >
          {logins.map((l) => (
            <option key={l.id} value={l.id}>
              {l.label}
            </option>
          ))}
        </select>
        {selected?.project && (
          <>
            <label for="oauth-project">
              Google Cloud project (optional, ALL for every project)
            </label>
            <input
              id="oauth-project"
              value={project}
              onInput={(e) => setProject(e.currentTarget.value)}
            />
          </>
        )}
        <button
          type="submit"
          class="primary"
          disabled={busy || !selected || login.kind === 'waiting'}
        >
          Start login
        </button>
      </form>
      <div role="status" class="login-status">
        {login.kind === 'waiting' && (
          <WaitingLogin
            login={login}
            onCancel={() => setLogin({ kind: 'idle' })}
            onPasted={() => {
              setLogin({ kind: 'done', provider: login.provider });
              onDone();
            }}
          />
        )}
        {login.kind === 'done' && (
          <p class="notice notice-ok" data-testid="login-done">
            {login.provider} login complete: the account was added.
          </p>
        )}
        {login.kind === 'failed' && <p class="notice notice-bad">Login failed: {login.message}</p>}
      </div>
    </div>
  );
}

/**
 * A login waiting for its browser step: the link (with a copy button, for a browser on another
 * machine), the device code when there is one, and a field for the address the browser ended
 * on. On a server the provider's localhost redirect never reaches the gateway: pasting that
 * address finishes the login through /v0/management/oauth-callback.
 */
function WaitingLogin({
  login,
  onCancel,
  onPasted,
}: {
  login: Extract<LoginState, { kind: 'waiting' }>;
  onCancel: () => void;
  onPasted: () => void;
}) {
  const { api } = usePanel();
  const { busy, run } = useAction();
  const [pasted, setPasted] = useState('');
  const [copied, setCopied] = useState(false);
  const [problem, setProblem] = useState<string>();
  const linkField = useRef<HTMLInputElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(login.url);
      setCopied(true);
    } catch {
      // No clipboard (plain http, or permission refused): select it for Ctrl+C instead.
      linkField.current?.select();
      setCopied(false);
      setProblem('Copying is blocked here: the link is selected, press Ctrl+C (⌘C).');
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const text = pasted.trim();
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || (!url.searchParams.has('code') && !url.searchParams.has('error'))) {
      setProblem(
        'redirect_url: paste the whole address the browser ended on (it holds code= and state=).',
      );
      return;
    }
    setProblem(undefined);
    void run(async () => {
      await api.request('POST', '/v0/management/oauth-callback', {
        json: { provider: login.providerId, redirect_url: text },
      });
      onPasted();
    });
  };
  return (
    <div class="login-waiting">
      <p>
        Waiting for the {login.provider} login. Open the sign-in page in a browser
        {login.userCode && (
          <>
            {' '}
            and enter the code <strong class="mono">{login.userCode}</strong>
          </>
        )}
        . This page checks every 2 s.
      </p>
      <div class="inline-form">
        <label for="login-url">Sign-in link</label>
        <input id="login-url" ref={linkField} class="mono" readOnly value={login.url} />
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy link'}
        </button>
        <a href={login.url} target="_blank" rel="noopener noreferrer">
          Open the sign-in page
        </a>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {!login.userCode && (
        <form class="inline-form" onSubmit={submit}>
          <label for="login-redirect">
            If the browser ended on a page that does not load (a localhost address), paste its
            address here
          </label>
          <input
            id="login-redirect"
            class="mono"
            value={pasted}
            placeholder="http://localhost:54545/callback?code=…&state=…"
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? 'login-redirect-err' : undefined}
            onInput={(e) => setPasted(e.currentTarget.value)}
          />
          <button type="submit" class="primary" disabled={busy || !pasted.trim()}>
            Finish login
          </button>
        </form>
      )}
      {problem && (
        <p id="login-redirect-err" class="field-error">
          {problem}
        </p>
      )}
    </div>
  );
}

/** The login form, or why logins are not available here. */
export function OAuthLoginGate({ onDone }: { onDone: () => void }) {
  const { api } = usePanel();
  // get-auth-status without a state answers 400 when the OAuth routes exist
  const probe = useResource(
    async (signal) => {
      try {
        await api.get('/v0/management/get-auth-status', undefined, signal);
      } catch (err) {
        const e = asApiError(err);
        if (e.missingRoute) throw e;
      }
      return true;
    },
    [api],
  );
  if (probe.error) return <LoadProblem error={probe.error} what="OAuth login" />;
  return <OAuthLogin onDone={onDone} />;
}
