export { qwenProvider } from '@app/llm/providers/qwen/api';
