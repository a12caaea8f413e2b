import type { OnRequestHandler, RecordedRequest } from '@test/fakes';

/** Fake routes that run the model (the rest: lists, token counts, account calls). */
const GENERATION_ROUTES = new Set([
  'claude-messages',
  'openai-chat',
  'openai-responses',
  'codex-responses',
  'gemini-generate',
  'gemini-stream',
]);

/** A tool call the fake model asks for on the first turn. */
export interface ToolAsk {
  readonly name: string;
  readonly args: Record<string, unknown>;
  /** Text only the tool's result contains (the note file's content). */
  readonly secret: string;
}

/** What one row's fake model does. */
export interface Scenario {
  /** A word unique to the row, in the prompt: requests carrying it are the row's own. */
  readonly tag: string;
  readonly tool?: ToolAsk;
}

/** The text the CLI must print for a plain or streamed row. */
export function plainAnswer(s: Scenario): string {
  return `pong ${s.tag} from the fake model`;
}

/** The text the CLI must print once the tool result came back. */
export function toolAnswer(tool: ToolAsk): string {
  return `the tool said ${tool.secret}`;
}

/** True when a recorded request runs the model. */
export function isGeneration(r: RecordedRequest): boolean {
  return GENERATION_ROUTES.has(r.route);
}

/**
 * The fake model for a row. The CLIs wrap the prompt in their own context (system reminders,
 * environment blocks), so the fake's default echo would print all of it; instead:
 *
 * - a request that contains the tool's secret (the tool ran and its result came back) gets
 *   `toolAnswer`;
 * - else, with a tool to ask for, the first turn answers with that one tool call;
 * - else a request carrying the row's tag gets `plainAnswer`;
 * - anything else (a title or topic request without the tag) gets the default echo.
 *
 * Each answer is rendered in the upstream's own wire format, streamed in 5 pieces when asked.
 */
export function scenarioHook(s: Scenario): OnRequestHandler {
  return (req) => {
    if (!isGeneration(req)) return undefined;
    const text = JSON.stringify(req.body ?? '');
    if (s.tool && text.includes(s.tool.secret)) return { answer: { text: toolAnswer(s.tool) } };
    if (!text.includes(s.tag)) return undefined;
    if (s.tool) return { answer: { toolCalls: [{ name: s.tool.name, arguments: s.tool.args }] } };
    return { answer: { text: plainAnswer(s) } };
  };
}
