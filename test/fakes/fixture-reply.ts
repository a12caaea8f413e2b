import { readFileSync } from 'node:fs';
import type { CustomReply } from './fake-upstream.types';

/**
 * A custom reply that replays a wire capture (`test/fixtures/<format>/*.sse|*.json`) verbatim:
 * `.sse` files are cut into events at blank lines (so pacing and reset faults count events),
 * anything else is sent as one JSON body. Read at call time, so the fakes never need the
 * fixtures folder unless a test asks for it.
 */
export function fixtureReply(file: string, status = 200): CustomReply {
  const text = readFileSync(file, 'utf8');
  if (!file.endsWith('.sse')) return { status, body: text };
  const chunks: string[] = [];
  const eol = text.includes('\r\n\r\n') ? '\r\n\r\n' : '\n\n';
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf(eol, at);
    const stop = end < 0 ? text.length : end + eol.length;
    const event = text.slice(at, stop);
    if (event.trim()) chunks.push(end < 0 ? `${event}${eol}` : event);
    at = stop;
  }
  return { status, chunks };
}
