export { openaiCompatibilityProvider } from '@app/llm/providers/openai-compatibility/api';
