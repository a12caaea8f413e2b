// Fake upstream LLM servers for tests and the benchmark (node built-ins only).
export { FakeUpstream, DEFAULT_FAKE_MODELS } from './fake-upstream';
export type {
  CustomReply,
  FakeUpstreamOptions,
  OnRequestHandler,
  RecordedRequest,
  ReplyHeaders,
} from './fake-upstream.types';
export type {
  DelaySpec,
  FailSpec,
  FaultKind,
  FaultMatch,
  FaultScope,
  ResetMidStreamSpec,
  SlowFirstByteSpec,
} from './faults';
export type { RouteKind } from './routes';
export {
  REASONING_TEXT,
  estimateTokens,
  type AnswerOverride,
  type FakeAnswer,
  type FakeToolCall,
  type FakeUsage,
  type FinishReason,
} from './scenario';
export { fixtureReply } from './fixture-reply';
