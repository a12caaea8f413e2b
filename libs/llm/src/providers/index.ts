import type { ProviderAdapter, ProviderId } from '@app/llm/providers/provider.types';
import { geminiProvider } from '@app/llm/providers/gemini';
import { vertexProvider } from '@app/llm/providers/vertex';
import { claudeProvider } from '@app/llm/providers/claude';
import { codexProvider } from '@app/llm/providers/codex';
import { openaiCompatibilityProvider } from '@app/llm/providers/openai-compatibility';
import { geminiCliProvider } from '@app/llm/providers/gemini-cli';
import { antigravityProvider } from '@app/llm/providers/antigravity';
import { qwenProvider } from '@app/llm/providers/qwen';
import { iflowProvider } from '@app/llm/providers/iflow';
import { kimiProvider } from '@app/llm/providers/kimi';

/** One adapter per upstream; adding a provider means adding a folder and one line here. */
export const PROVIDERS: Readonly<Record<ProviderId, ProviderAdapter>> = {
  gemini: geminiProvider,
  vertex: vertexProvider,
  claude: claudeProvider,
  codex: codexProvider,
  'openai-compatibility': openaiCompatibilityProvider,
  'gemini-cli': geminiCliProvider,
  antigravity: antigravityProvider,
  qwen: qwenProvider,
  iflow: iflowProvider,
  kimi: kimiProvider,
};

export function providerFor(id: ProviderId): ProviderAdapter {
  return PROVIDERS[id];
}

export * from '@app/llm/providers/provider.types';
export * from '@app/llm/providers/retry-hints';
