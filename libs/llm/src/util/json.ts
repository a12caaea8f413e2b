/** Narrow an unknown value to a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse tool-call arguments; invalid or empty JSON becomes `{}` (never throws). */
export function parseArguments(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    return isRecord(v) ? v : { value: v };
  } catch {
    return {};
  }
}

/** Stringify tool-call arguments coming as an object (Claude input, Gemini args). */
export function stringifyArguments(value: unknown): string {
  if (value === undefined || value === null) return '{}';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
