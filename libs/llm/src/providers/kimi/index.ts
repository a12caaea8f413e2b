export { kimiProvider } from '@app/llm/providers/kimi/api';
