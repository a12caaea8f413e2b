import type { IncomingHttpHeaders } from 'node:http';
import { asString, isObject, type JsonObject } from './json.util';
import {
  overrideAnswer,
  planAnswer,
  type AnswerOverride,
  type FakeAnswer,
  type Prompt,
} from './scenario';
import {
  parseChat,
  renderChat,
  renderChatStream,
  renderOpenAIModels,
  validateChat,
} from './wire/openai-chat.wire';
import {
  parseResponses,
  renderCompact,
  renderResponses,
  renderResponsesStream,
  validateCodex,
  validateResponses,
} from './wire/openai-responses.wire';
import {
  parseClaude,
  renderClaude,
  renderClaudeCount,
  renderClaudeModels,
  renderClaudeStream,
  validateClaude,
} from './wire/claude.wire';
import {
  parseGemini,
  renderFetchAvailableModels,
  renderGemini,
  renderGeminiCount,
  renderGeminiModel,
  renderGeminiModels,
  renderGeminiStream,
  renderLoadCodeAssist,
  renderOnboardUser,
  renderRetrieveUserQuota,
  validateEnvelope,
  validateGemini,
} from './wire/gemini.wire';
import { errorOutgoing, invalidRequest } from './wire/errors.wire';
import type { ErrorDialect, Outgoing, RenderOptions } from './wire/wire.types';

/** Every endpoint the fake serves. */
export type RouteKind =
  | 'openai-chat'
  | 'openai-responses'
  | 'codex-responses'
  | 'responses-compact'
  | 'claude-messages'
  | 'claude-count-tokens'
  | 'models'
  | 'gemini-generate'
  | 'gemini-stream'
  | 'gemini-count-tokens'
  | 'gemini-models'
  | 'gemini-model'
  | 'code-assist-generate'
  | 'code-assist-stream'
  | 'code-assist-count-tokens'
  | 'code-assist-account'
  | 'not-found';

/** A resolved request path. */
export interface Route {
  readonly kind: RouteKind;
  readonly dialect: ErrorDialect;
  /** Generation or token counting (faults without a path only hit these). */
  readonly servesModel: boolean;
  /** The model named in the URL (Gemini, Vertex). */
  readonly model?: string;
  /** The Gemini action or Code Assist method after the colon. */
  readonly action?: string;
}

const CODE_ASSIST = '/v1internal:';

const CODE_ASSIST_METHODS: ReadonlyMap<string, RouteKind> = new Map<string, RouteKind>([
  ['generateContent', 'code-assist-generate'],
  ['streamGenerateContent', 'code-assist-stream'],
  ['countTokens', 'code-assist-count-tokens'],
  ['loadCodeAssist', 'code-assist-account'],
  ['onboardUser', 'code-assist-account'],
  ['fetchAvailableModels', 'code-assist-account'],
  ['retrieveUserQuota', 'code-assist-account'],
]);

const GEMINI_ACTIONS: ReadonlyMap<string, RouteKind> = new Map<string, RouteKind>([
  ['generateContent', 'gemini-generate'],
  ['streamGenerateContent', 'gemini-stream'],
  ['countTokens', 'gemini-count-tokens'],
]);

// Routes without URL parameters are shared constants: resolution runs on every request.
const OPENAI_CHAT: Route = { kind: 'openai-chat', dialect: 'openai', servesModel: true };
const OPENAI_RESPONSES: Route = { kind: 'openai-responses', dialect: 'openai', servesModel: true };
const CODEX_RESPONSES: Route = { kind: 'codex-responses', dialect: 'codex', servesModel: true };
const OPENAI_COMPACT: Route = { kind: 'responses-compact', dialect: 'openai', servesModel: true };
const CODEX_COMPACT: Route = { kind: 'responses-compact', dialect: 'codex', servesModel: true };
const CLAUDE_MESSAGES: Route = { kind: 'claude-messages', dialect: 'claude', servesModel: true };
const CLAUDE_COUNT: Route = { kind: 'claude-count-tokens', dialect: 'claude', servesModel: true };
const MODELS: Route = { kind: 'models', dialect: 'openai', servesModel: false };
const GEMINI_MODELS: Route = { kind: 'gemini-models', dialect: 'gemini', servesModel: false };

function notFound(path: string): Route {
  const dialect: ErrorDialect = path.startsWith('/v1beta')
    ? 'gemini'
    : path.startsWith(CODE_ASSIST)
      ? 'code-assist'
      : 'openai';
  return { kind: 'not-found', dialect, servesModel: false };
}

/**
 * Resolve a request path. Suffix matching lets a `base-url` with any prefix work, as the real
 * OpenAI-compatible hosts do (`/v1/chat/completions`, `/coding/v1/chat/completions`...).
 */
export function resolveRoute(method: string, path: string): Route {
  const post = method === 'POST';
  if (path.startsWith(CODE_ASSIST)) {
    const action = path.slice(CODE_ASSIST.length);
    const kind = post ? CODE_ASSIST_METHODS.get(action) : undefined;
    if (!kind) return notFound(path);
    return { kind, dialect: 'code-assist', servesModel: kind !== 'code-assist-account', action };
  }
  const colon = path.lastIndexOf(':');
  if (colon > path.lastIndexOf('/')) {
    // Gemini and Vertex: .../models/{model}:{action}
    const at = path.lastIndexOf('/models/', colon);
    const action = path.slice(colon + 1);
    const kind = post && at >= 0 ? GEMINI_ACTIONS.get(action) : undefined;
    if (!kind) return notFound(path);
    const model = path.slice(at + '/models/'.length, colon);
    return { kind, dialect: 'gemini', servesModel: true, model, action };
  }
  if (post) {
    if (path.endsWith('/chat/completions')) return OPENAI_CHAT;
    const codex = path.includes('/backend-api/codex');
    if (path.endsWith('/responses/compact')) return codex ? CODEX_COMPACT : OPENAI_COMPACT;
    if (path.endsWith('/responses')) return codex ? CODEX_RESPONSES : OPENAI_RESPONSES;
    if (path.endsWith('/messages/count_tokens')) return CLAUDE_COUNT;
    if (path.endsWith('/messages')) return CLAUDE_MESSAGES;
    return notFound(path);
  }
  if (method !== 'GET') return notFound(path);
  if (path.startsWith('/v1beta/models')) {
    if (path === '/v1beta/models' || path === '/v1beta/models/') return GEMINI_MODELS;
    const model = path.slice('/v1beta/models/'.length);
    return { kind: 'gemini-model', dialect: 'gemini', servesModel: false, model };
  }
  if (path.endsWith('/models')) return MODELS;
  return notFound(path);
}

/** Settings of one fake that shape its answers. */
export interface FakeSettings extends RenderOptions {
  readonly cachedTokens: number;
  readonly strict: boolean;
  readonly project: string;
  readonly models: {
    readonly openai: readonly string[];
    readonly claude: readonly string[];
    readonly gemini: readonly string[];
  };
}

/** Everything `build` looks at. */
export interface BuildInput {
  readonly method: string;
  readonly path: string;
  readonly route: Route;
  /** The parsed body when it is a JSON object. */
  readonly body: JsonObject | undefined;
  /** True when a body was sent but is not JSON. */
  readonly badJson: boolean;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly settings: FakeSettings;
  readonly override?: AnswerOverride;
}

/** A built response and the answer it carries (generation routes). */
export interface Built {
  readonly out: Outgoing;
  readonly answer?: FakeAnswer;
}

const BAD_JSON: Readonly<Record<ErrorDialect, string>> = {
  openai:
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
  codex: 'Invalid JSON body',
  claude: 'There was an error parsing the body of your request.',
  gemini: 'Invalid JSON payload received. Unexpected token.',
  'code-assist': 'Invalid JSON payload received. Unexpected token.',
};

function answerOf(prompt: Prompt, input: BuildInput): FakeAnswer {
  return input.override
    ? overrideAnswer(prompt, input.override, input.settings.cachedTokens)
    : planAnswer(prompt, input.settings.cachedTokens);
}

function done(out: Outgoing, answer?: FakeAnswer): Built {
  return { out, answer };
}

/**
 * Build the response of a model-serving route from its JSON body. The result depends only on
 * the path, query, body, settings and override, so callers may cache it.
 */
export function buildModelRoute(input: BuildInput, body: JsonObject): Built {
  const { route, settings: s } = input;
  switch (route.kind) {
    case 'openai-chat': {
      const bad = s.strict ? validateChat(body) : undefined;
      if (bad) return done(bad);
      const req = parseChat(body);
      const a = answerOf(req.prompt, input);
      return done(req.stream ? renderChatStream(a, req, s) : renderChat(a), a);
    }
    case 'openai-responses':
    case 'codex-responses': {
      const bad = s.strict
        ? route.kind === 'codex-responses'
          ? validateCodex(body)
          : validateResponses(body)
        : undefined;
      if (bad) return done(bad);
      const req = parseResponses(body);
      const a = answerOf(req.prompt, input);
      return done(req.stream ? renderResponsesStream(a, req, s) : renderResponses(a, req), a);
    }
    case 'responses-compact': {
      const bad = s.strict ? validateResponses(body) : undefined;
      return done(bad ?? renderCompact(parseResponses(body)));
    }
    case 'claude-messages': {
      const bad = s.strict ? validateClaude(body) : undefined;
      if (bad) return done(bad);
      const req = parseClaude(body);
      const a = answerOf(req.prompt, input);
      return done(req.stream ? renderClaudeStream(a, s) : renderClaude(a), a);
    }
    case 'claude-count-tokens': {
      const bad = s.strict ? validateClaude(body, true) : undefined;
      return done(bad ?? renderClaudeCount(parseClaude(body).prompt));
    }
    case 'gemini-generate':
    case 'gemini-stream':
    case 'code-assist-generate':
    case 'code-assist-stream': {
      const envelope = route.kind.startsWith('code-assist');
      const bad = s.strict
        ? envelope
          ? validateEnvelope(body)
          : validateGemini(body, 'gemini')
        : undefined;
      if (bad) return done(bad);
      const inner = envelope && isObject(body.request) ? body.request : body;
      const model = (envelope ? asString(body.model) : route.model) ?? '';
      const a = answerOf(parseGemini(inner, model), input);
      const shape = { envelope, claudeInside: envelope && model.startsWith('claude') };
      return done(
        route.kind.endsWith('-stream')
          ? renderGeminiStream(a, shape, input.query.alt === 'sse', s)
          : renderGemini(a, shape),
        a,
      );
    }
    case 'gemini-count-tokens':
    case 'code-assist-count-tokens': {
      const envelope = route.kind === 'code-assist-count-tokens';
      // countTokens takes `contents`, or a whole `generateContentRequest`; Code Assist wraps in `request`.
      const wrapped = envelope ? body.request : body.generateContentRequest;
      const inner = isObject(wrapped) ? wrapped : body;
      const bad = s.strict ? validateGemini(inner, envelope ? 'code-assist' : 'gemini') : undefined;
      return done(bad ?? renderGeminiCount(parseGemini(inner, route.model ?? ''), envelope));
    }
    case 'models':
    case 'gemini-models':
    case 'gemini-model':
    case 'code-assist-account':
    case 'not-found':
      return done(
        errorOutgoing(route.dialect, 404, {
          retryAfterSeconds: 0,
          message: `Not found: ${input.path}`,
        }),
      );
  }
}

/** Either the finished answer of a request that needs no model, or the body to answer from. */
export type Preflight = { readonly early: Outgoing } | { readonly body: JsonObject };

/**
 * Answer every request that is not a plain generation: lists, account calls, unknown paths,
 * unreadable bodies, missing headers. Otherwise hand back the JSON body for `buildModelRoute`.
 */
export function preflight(input: BuildInput): Preflight {
  const early = earlyAnswer(input);
  if (early) return { early };
  if (!input.body) {
    const message = input.badJson ? BAD_JSON[input.route.dialect] : 'A JSON body is required.';
    return { early: invalidRequest(input.route.dialect, message) };
  }
  return { body: input.body };
}

function earlyAnswer(input: BuildInput): Outgoing | undefined {
  const { route, settings: s } = input;
  switch (route.kind) {
    case 'models':
      return input.headers['anthropic-version'] !== undefined
        ? renderClaudeModels(s.models.claude)
        : renderOpenAIModels([...s.models.openai, ...s.models.claude, ...s.models.gemini]);
    case 'gemini-models':
      return renderGeminiModels(s.models.gemini);
    case 'gemini-model':
      return route.model && s.models.gemini.includes(route.model)
        ? renderGeminiModel(route.model)
        : errorOutgoing('gemini', 404, { retryAfterSeconds: 0, model: route.model });
    case 'code-assist-account':
      if (route.action === 'loadCodeAssist') return renderLoadCodeAssist(s.project);
      if (route.action === 'onboardUser') return renderOnboardUser(s.project);
      if (route.action === 'fetchAvailableModels') {
        return renderFetchAvailableModels([...s.models.gemini, ...s.models.claude]);
      }
      return renderRetrieveUserQuota(s.models.gemini);
    case 'not-found': {
      const message =
        route.dialect === 'openai'
          ? `Invalid URL (${input.method} ${input.path})`
          : `The requested URL ${input.path} was not found on this server.`;
      return errorOutgoing(route.dialect, 404, { retryAfterSeconds: 0, message });
    }
    case 'openai-chat':
    case 'openai-responses':
    case 'codex-responses':
    case 'responses-compact':
    case 'claude-messages':
    case 'claude-count-tokens':
    case 'gemini-generate':
    case 'gemini-stream':
    case 'gemini-count-tokens':
    case 'code-assist-generate':
    case 'code-assist-stream':
    case 'code-assist-count-tokens':
      break;
  }
  if (s.strict && (route.kind === 'claude-messages' || route.kind === 'claude-count-tokens')) {
    if (input.headers['anthropic-version'] === undefined) {
      return invalidRequest('claude', 'anthropic-version: header is required');
    }
  }
  return undefined;
}
