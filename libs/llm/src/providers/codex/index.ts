export { codexProvider } from '@app/llm/providers/codex/api';
