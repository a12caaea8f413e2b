import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Panel, useResource, type PanelContext, type PanelHealth } from './components/hooks';
import { ApiClient } from './lib/api-client';
import { formatRelative, formatTime } from './lib/format';
import { PAGES, pageFromHash, type PageId } from './lib/routes';
import type { AttentionReport } from './lib/types';
import type { ProvidersAnswer } from './lib/providers';
import { clearKey, loadKey, saveKey } from './lib/session';
import { Cluster } from './pages/cluster';
import { Credentials } from './pages/credentials';
import { Overview } from './pages/overview';
import { Requests } from './pages/requests';
import { Settings } from './pages/settings';
import { SignIn } from './pages/sign-in';

function PageBody({ page }: { page: PageId }) {
  switch (page) {
    case 'overview':
      return <Overview />;
    case 'credentials':
      return <Credentials />;
    case 'requests':
      return <Requests />;
    case 'cluster':
      return <Cluster />;
    case 'settings':
      return <Settings />;
  }
}

interface Note {
  id: number;
  text: string;
  kind: 'ok' | 'error';
}

/** Header, navigation, the status region and the current page. */
function Shell({ api, signOut }: { api: ApiClient; signOut: (m?: string) => void }) {
  const [page, setPage] = useState<PageId>(() => pageFromHash(location.hash) ?? 'overview');
  const [note, setNote] = useState<Note>();
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);

  useEffect(() => {
    const onHash = () => {
      const p = pageFromHash(location.hash);
      if (p) setPage(p);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const title = PAGES.find((p) => p.id === page)?.title ?? '';
    document.title = `${title} · Switchboard`;
    // Move focus to the new page's heading so keyboard and screen-reader users land on it.
    if (!first.current) heading.current?.focus();
    first.current = false;
    // an action's outcome belongs to the page it happened on
    setNote(undefined);
  }, [page]);

  const notify = useCallback((text: string, kind: 'ok' | 'error' = 'ok') => {
    setNote({ id: Date.now(), text, kind });
  }, []);
  useEffect(() => {
    if (!note || note.kind === 'error') return;
    const t = setTimeout(() => setNote((n) => (n?.id === note.id ? undefined : n)), 6000);
    return () => clearTimeout(t);
  }, [note]);

  // The deployment's health, polled for every page: the outage banner, amber live badges and
  // the Overview's attention strip all read this one report.
  const attention = useResource(
    (signal) => api.get<AttentionReport>('/v0/management/attention', undefined, signal),
    [api],
    5000,
  );
  const health = useMemo<PanelHealth>(() => {
    const down = attention.data?.redis.status === 'down';
    return {
      redisDown: down,
      redisDownSince: down ? (attention.data?.redis.down_since ?? undefined) : undefined,
      gatewayDown: attention.error?.status === 0,
    };
  }, [attention.data, attention.error]);
  // The provider registry the login menu, key lists and quota links come from.
  const providers = useResource(
    (signal) => api.get<ProvidersAnswer>('/v0/management/providers', undefined, signal),
    [api],
  ).data;
  const ctx = useMemo<PanelContext>(
    () => ({ api, notify, signOut, health, attention, providers }),
    [api, notify, signOut, health, attention, providers],
  );
  const title = PAGES.find((p) => p.id === page)?.title ?? '';
  return (
    <Panel.Provider value={ctx}>
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">Switchboard</span>
        <nav aria-label="Main">
          <ul>
            {PAGES.map((p) => (
              <li key={p.id}>
                <a href={`#/${p.id}`} aria-current={p.id === page ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="signout" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <OutageBanner health={health} />
        <div class="status-region" role="status" aria-live="polite">
          {note && (
            <p class={`notice notice-${note.kind === 'ok' ? 'ok' : 'bad'}`}>
              {note.text}{' '}
              <button type="button" class="link" onClick={() => setNote(undefined)}>
                Dismiss
              </button>
            </p>
          )}
        </div>
        <PageBody key={page} page={page} />
      </main>
    </Panel.Provider>
  );
}

/** What is down right now, said once at the top of every page. */
function OutageBanner({ health }: { health: PanelHealth }) {
  if (health.gatewayDown) {
    return (
      <p class="banner banner-bad" role="alert" data-testid="outage-banner">
        The gateway cannot be reached. The panel keeps trying and updates by itself when it is back.
      </p>
    );
  }
  if (!health.redisDown) return null;
  const since = health.redisDownSince;
  return (
    <p class="banner banner-bad" role="alert" data-testid="outage-banner">
      <strong>Redis is unreachable</strong>
      {since ? (
        <>
          {' '}
          since <time dateTime={since}>{formatTime(since).slice(11, 16)}</time> (
          {formatRelative(since)})
        </>
      ) : null}{' '}
      — requests are buffered: the proxy keeps serving from its last known config and credentials,
      and usage and request-log entries are written once Redis is back. Figures below may be stale.
    </p>
  );
}

/** Sign-in until a key is accepted, then the panel. */
export function App() {
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [reason, setReason] = useState<string>();
  const signOut = useCallback((message?: string) => {
    clearKey();
    setReason(message ? `Signed out: ${message}` : undefined);
    setKey(null);
  }, []);
  const api = useMemo(() => (key ? new ApiClient(key, (m) => signOut(m)) : null), [key, signOut]);
  if (!api) {
    return (
      <SignIn
        reason={reason}
        onSignedIn={(k) => {
          saveKey(k);
          setReason(undefined);
          setKey(k);
        }}
      />
    );
  }
  return <Shell api={api} signOut={signOut} />;
}
