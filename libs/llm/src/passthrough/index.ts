export * from '@app/llm/passthrough/passthrough-request';
export * from '@app/llm/passthrough/passthrough-response';
export * from '@app/llm/passthrough/stream-frames';
export * from '@app/llm/passthrough/stream-scanner';
export * from '@app/llm/passthrough/stream-relay';
