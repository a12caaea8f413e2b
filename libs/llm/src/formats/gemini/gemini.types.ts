/**
 * Gemini `generateContent` wire shapes as this codec writes them (camelCase; the parser also
 * accepts the snake_case spellings the REST API takes). Reference: ai.google.dev/api/generate-content.
 */

export interface GeminiInlineData {
  mimeType: string;
  /** Base64 bytes. */
  data: string;
}

export interface GeminiFileData {
  mimeType?: string;
  fileUri: string;
}

export interface GeminiFunctionCall {
  id?: string;
  name: string;
  args: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  /** A JSON object; `output` / `error` keys carry a plain result (see request.ts). */
  response: Record<string, unknown>;
}

/** One part of a Content. Exactly one data field is set; `thought*` may accompany it. */
export interface GeminiPart {
  text?: string;
  /** True on reasoning summary parts (only with thinkingConfig.includeThoughts). */
  thought?: boolean;
  /** Opaque signature of the model's reasoning; must be sent back with the part it came on. */
  thoughtSignature?: string;
  inlineData?: GeminiInlineData;
  fileData?: GeminiFileData;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  /** Built-in tool parts (executableCode, codeExecutionResult…) passed through verbatim. */
  [key: string]: unknown;
}

export type GeminiRole = 'user' | 'model';

export interface GeminiContent {
  role: GeminiRole;
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  thinkingLevel?: string;
  includeThoughts?: boolean;
}

export interface GeminiUsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

export interface GeminiCandidate {
  content: GeminiContent;
  finishReason?: string;
  index: number;
  [key: string]: unknown;
}

export interface GeminiResponseBody {
  candidates: GeminiCandidate[];
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  [key: string]: unknown;
}

/** Google API error body (google.rpc.Status in the JSON error envelope). */
export interface GeminiErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}
