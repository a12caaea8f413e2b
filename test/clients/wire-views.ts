// Small readers of the wire formats for the client tier's assertions: written here, without
// libs/llm, so a translation bug in the gateway is not shared by the test.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Parse a JSON body; undefined when it is not JSON. */
export function parseBody(raw: Buffer | string): unknown {
  try {
    return JSON.parse(raw.toString()) as unknown;
  } catch {
    return undefined;
  }
}

/** The texts of a content value: a string, or blocks/parts carrying `text`. */
function texts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  return list(content).flatMap((b) =>
    isObject(b) && typeof b.text === 'string' && b.thought !== true ? [b.text] : [],
  );
}

/** Claude: the texts of each `role: "system"` message in `messages` (mid-conversation). */
export function claudeSystemMessages(body: unknown): string[][] {
  if (!isObject(body)) return [];
  return list(body.messages).flatMap((m) =>
    isObject(m) && m.role === 'system' ? [texts(m.content)] : [],
  );
}

/** Claude: the texts of the top-level `system` prompt. */
export function claudeSystemPrompt(body: unknown): string[] {
  return isObject(body) ? texts(body.system) : [];
}

/** The upstream formats the fake records. */
export type UpstreamFormat = 'claude' | 'openai' | 'openai-responses' | 'gemini';

/** The texts of every user turn in a request body of `format`. */
export function userTurnTexts(format: UpstreamFormat, body: unknown): string[] {
  if (!isObject(body)) return [];
  switch (format) {
    case 'claude':
    case 'openai':
      return list(body.messages).flatMap((m) =>
        isObject(m) && m.role === 'user' ? texts(m.content) : [],
      );
    case 'openai-responses':
      return list(body.input).flatMap((m) =>
        isObject(m) && m.role === 'user' && (m.type === undefined || m.type === 'message')
          ? texts(m.content)
          : [],
      );
    case 'gemini':
      return list(body.contents).flatMap((c) =>
        isObject(c) && c.role === 'user' ? texts(c.parts) : [],
      );
  }
}

/** The system prompt's texts in a request body of `format`. */
export function systemPromptTexts(format: UpstreamFormat, body: unknown): string[] {
  if (!isObject(body)) return [];
  switch (format) {
    case 'claude':
      return texts(body.system);
    case 'openai':
      return list(body.messages).flatMap((m) =>
        isObject(m) && (m.role === 'system' || m.role === 'developer') ? texts(m.content) : [],
      );
    case 'openai-responses': {
      const items = list(body.input).flatMap((m) =>
        isObject(m) && (m.role === 'system' || m.role === 'developer') ? texts(m.content) : [],
      );
      return typeof body.instructions === 'string' ? [body.instructions, ...items] : items;
    }
    case 'gemini': {
      const si = body.systemInstruction ?? body.system_instruction;
      return isObject(si) ? texts(si.parts) : [];
    }
  }
}

/** The `data:` payloads of an SSE text, parsed (non-JSON payloads such as `[DONE]` skipped). */
export function sseJson(text: string): Json[] {
  const out: Json[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const v = parseBody(line.slice(5).trim());
    if (isObject(v)) out.push(v);
  }
  return out;
}

/** The answer text pieces of a streamed answer in the client's format, in order. */
export function streamedTextDeltas(
  format: 'claude' | 'openai-responses' | 'gemini',
  sse: string,
): string[] {
  const events = sseJson(sse);
  switch (format) {
    case 'claude':
      return events.flatMap((e) =>
        e.type === 'content_block_delta' &&
        isObject(e.delta) &&
        e.delta.type === 'text_delta' &&
        typeof e.delta.text === 'string'
          ? [e.delta.text]
          : [],
      );
    case 'openai-responses':
      return events.flatMap((e) =>
        e.type === 'response.output_text.delta' && typeof e.delta === 'string' ? [e.delta] : [],
      );
    case 'gemini':
      return events.flatMap((e) =>
        list(e.candidates).flatMap((c) =>
          isObject(c) && isObject(c.content) ? texts(c.content.parts) : [],
        ),
      );
  }
}

/** The comma-separated tokens of a header such as `anthropic-beta`. */
export function headerTokens(v: string | string[] | undefined): string[] {
  const all = Array.isArray(v) ? v.join(',') : (v ?? '');
  return all
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** A body without its `model` field (the one field the gateway must change). */
export function withoutModel(body: unknown): unknown {
  if (!isObject(body)) return body;
  const copy: Json = { ...body };
  delete copy.model;
  return copy;
}
