export * from '@app/llm/stream/stream-step';
export * from '@app/llm/stream/stream-translator';
