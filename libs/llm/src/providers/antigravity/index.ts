export { antigravityProvider } from '@app/llm/providers/antigravity/api';
