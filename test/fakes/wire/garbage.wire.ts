import type { Outgoing } from './wire.types';

// What a broken upstream sends: a 200 whose body cannot be parsed. Streams also stop without
// their terminator ([DONE], message_stop, response.completed), as a crashed backend does.

const BROKEN_JSON =
  '{"id":"broken","object":"chat.completion","choices":[{"message":{"content":"unterminat';

const BROKEN_SSE: readonly string[] = [
  'data: {"id":"broken","choices":[{"delta":{"content":"unterminat\n\n',
  'data: this is not json\n\n',
  'event: \u0000\u0001garbage\nno colon on this line\n\n',
  'data: {"type": 17, "choices": "not an array", "delta": null}\n\n',
];

const BROKEN_ARRAY: readonly string[] = [
  '[{"candidates": [{"content": {"parts": [{"text": "unterm',
  '}}}]]]',
  ',not json',
];

/** An unparseable 200 in the framing the caller expects. */
export function garbageOf(framing: 'body' | 'sse' | 'json-array'): Outgoing {
  switch (framing) {
    case 'body':
      return {
        type: 'body',
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: BROKEN_JSON,
      };
    case 'json-array':
      return {
        type: 'stream',
        status: 200,
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        frames: BROKEN_ARRAY,
        framing,
      };
    case 'sse':
      return {
        type: 'stream',
        status: 200,
        headers: { 'content-type': 'text/event-stream; charset=utf-8' },
        frames: BROKEN_SSE,
        framing,
      };
  }
}
