import { useRef, useState } from 'preact/hooks';
import { ApiClient } from '../lib/api-client';
import { ApiError } from '../lib/api-error';

/** Why a key was refused, in words that say what to do. */
function refusal(err: unknown): string {
  if (!(err instanceof ApiError))
    return 'Sign-in failed unexpectedly; reload the page and try again.';
  if (err.status === 401) return 'That management key was not accepted.';
  if (err.status === 403) return `The gateway refused the sign-in: ${err.message}.`;
  if (err.status === 404) {
    return 'The management API is turned off on this gateway. Set remote-management.secret-key in config.yaml (or the MANAGEMENT_PASSWORD environment variable) to turn it on.';
  }
  if (err.status === 0) return 'The gateway could not be reached. Check that it is running.';
  return `Sign-in failed: ${err.message}`;
}

/** The sign-in form: the key is checked against a management route before it is kept. */
export function SignIn({
  onSignedIn,
  reason,
}: {
  onSignedIn: (key: string) => void;
  reason?: string;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(reason);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) {
      setError('Enter the management key.');
      input.current?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await new ApiClient(k, () => undefined).get('/v0/management/usage-statistics-enabled');
      onSignedIn(k);
    } catch (err) {
      setError(refusal(err));
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin">
      <form
        class="card signin-card"
        onSubmit={(e) => void submit(e)}
        aria-describedby="signin-help"
      >
        <h1>Switchboard</h1>
        <p id="signin-help" class="muted">
          Sign in with the management key (remote-management.secret-key). It is kept in this browser
          tab only and sent with every request the panel makes.
        </p>
        <label for="mgmt-key">Management key</label>
        <input
          id="mgmt-key"
          ref={input}
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'signin-error' : undefined}
          autoFocus
        />
        {error && (
          <p id="signin-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
