export { geminiCliProvider } from '@app/llm/providers/gemini-cli/api';
