export { claudeProvider } from '@app/llm/providers/claude/api';
