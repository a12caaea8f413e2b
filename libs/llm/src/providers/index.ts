import { descriptorOf, PROVIDER_IDS, type ProviderId } from '@app/providers';
import type { WireFormat } from '@app/llm/ir/types';
import type { ProviderAdapter } from '@app/llm/providers/provider.types';
import { wireAdapter } from '@app/llm/providers/wire-adapter';

/** The wire format a provider speaks; a registry row naming a format llm lacks fails here. */
function formatOf(id: ProviderId): WireFormat {
  return descriptorOf(id).wire.format satisfies WireFormat;
}

/** One adapter per HTTP provider of the registry (libs/providers). */
export const PROVIDERS: Readonly<Record<ProviderId, ProviderAdapter>> = Object.fromEntries(
  PROVIDER_IDS.map((id) => [id, wireAdapter(id, formatOf(id), descriptorOf(id).wire)]),
) as Record<ProviderId, ProviderAdapter>;

export function providerFor(id: ProviderId): ProviderAdapter {
  return PROVIDERS[id];
}

export * from '@app/llm/providers/provider.types';
export * from '@app/llm/providers/retry-hints';
export { joinUrl } from '@app/llm/providers/wire-adapter';
