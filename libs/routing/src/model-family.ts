import { descriptorOf } from '@app/providers';
import type { Credential, CredentialProvider } from '@app/routing/credential.types';
import { compileModelPatterns, type ModelMatcher } from '@app/routing/model-pattern';

// The model names a provider natively owns (`models.family` of its registry row): the vendor's
// own API answers for every model of the family, including ones released after any catalog was
// written (Claude Code's default model usually is one). A credential with such a family and no
// explicit `models` list serves any name of it that no credential serves explicitly or by
// catalog, forwarded as sent; the upstream decides whether it exists. Resellers, relays and
// openai-compatibility entries have none, so none of them may swallow `claude-*` or `gpt-*`.

const MATCHERS = new Map<CredentialProvider, ModelMatcher | undefined>();

/** The family patterns of a provider (empty when it owns none). */
export function nativeFamily(provider: CredentialProvider): readonly string[] {
  return descriptorOf(provider).models.family;
}

/** A matcher for the provider's native family, or undefined when it owns none. */
export function familyMatcher(provider: CredentialProvider): ModelMatcher | undefined {
  if (!MATCHERS.has(provider)) {
    const patterns = nativeFamily(provider);
    MATCHERS.set(provider, patterns.length ? compileModelPatterns(patterns) : undefined);
  }
  return MATCHERS.get(provider);
}

/**
 * The family a credential serves beyond its catalog: its provider's, unless config gave it an
 * explicit `models` list (then it serves exactly those, as CLIProxyAPI does).
 */
export function credentialFamily(c: Credential): ModelMatcher | undefined {
  return c.models ? undefined : familyMatcher(c.provider);
}
