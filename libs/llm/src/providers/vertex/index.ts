export { vertexProvider } from '@app/llm/providers/vertex/api';
