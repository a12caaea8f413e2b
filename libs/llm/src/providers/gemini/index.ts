export { geminiProvider } from '@app/llm/providers/gemini/api';
