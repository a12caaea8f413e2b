export { iflowProvider } from '@app/llm/providers/iflow/api';
