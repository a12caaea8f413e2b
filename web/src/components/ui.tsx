import type { ComponentChildren } from 'preact';
import type { ApiError } from '../lib/api-error';
import type { StreamState } from '../lib/sse-client';

/** Colour family of a badge; the text always says the same thing in words. */
export type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'info';

/** A short status word with a colour that never carries the meaning alone. */
export function Badge({ tone, children }: { tone: Tone; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

/**
 * Why a section has no data: a route this gateway does not have yet reads as "not available"
 * (with what to do), anything else as an error with the server's message.
 */
export function LoadProblem({ error, what }: { error: ApiError; what: string }) {
  if (error.missingRoute) {
    return (
      <p class="notice notice-muted">
        {what} is not available on this gateway (its API route is missing). Upgrade the gateway to a
        build that includes it.
      </p>
    );
  }
  return (
    <p class="notice notice-bad" role="alert">
      Could not load {what.toLowerCase()}: {error.message}
    </p>
  );
}

/** A section's body: spinner text, its problem, or its content. */
export function Loadable<T>({
  data,
  error,
  what,
  children,
}: {
  data: T | undefined;
  error: ApiError | undefined;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if (data === undefined) {
    if (error) return <LoadProblem error={error} what={what} />;
    return <p class="muted">Loading {what.toLowerCase()}…</p>;
  }
  return (
    <>
      {error && !error.missingRoute && (
        <p class="notice notice-warn">
          Showing the last data: refreshing failed ({error.message}).
        </p>
      )}
      {children(data)}
    </>
  );
}

/**
 * The state of a live stream in words. A stream whose source is down (Redis unreachable: the
 * shared log cannot be read or written) shows amber even while its connection is open.
 */
export function StreamStatus({
  state,
  label,
  sourceDown,
}: {
  state: StreamState;
  label: string;
  sourceDown?: string;
}) {
  let text: string;
  let tone: Tone;
  switch (state.kind) {
    case 'open':
      text = sourceDown ? `waiting: ${sourceDown}` : 'live';
      tone = sourceDown ? 'warn' : 'ok';
      break;
    case 'connecting':
      text = 'connecting…';
      tone = 'muted';
      break;
    case 'retrying':
      text = `reconnecting in ${Math.round(state.inMs / 1000)} s (${state.reason})`;
      tone = 'warn';
      break;
    case 'unavailable':
      text = `not available: ${state.reason}`;
      tone = 'bad';
      break;
    case 'closed':
      text = 'paused';
      tone = 'muted';
      break;
  }
  return (
    <p class="stream-status" data-state={tone}>
      {label}: <Badge tone={tone}>{text}</Badge>
    </p>
  );
}

/** A titled section of a page (a landmark when it has a heading). */
export function Section({
  id,
  title,
  actions,
  children,
}: {
  id: string;
  title: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="card" aria-labelledby={`${id}-title`}>
      <div class="card-head">
        <h2 id={`${id}-title`}>{title}</h2>
        {actions && <div class="card-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}
