import type { AppConfig } from '@app/config';
import { credentialsFromConfig } from '@app/routing';
import type { Entry } from '@app/management/config-routes/list-edit';
import type { KeyListSection } from '@app/management/config-routes/provider-list-edit';

// GET answers of the credential lists carry each entry's `auth-index`, as CLIProxyAPI's do, so a
// panel can point `/api-call` and the credential listings at the entry. The ids come from
// credentialsFromConfig, the same code that builds the credentials the proxy routes to.

function authIndexes(config: Readonly<AppConfig>): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of credentialsFromConfig(config)) out.set(c.id, c.authIndex);
  return out;
}

/** The entries of a key list with the `auth-index` of each credential it produces. */
export function keyListView(config: Readonly<AppConfig>, section: KeyListSection): Entry[] {
  const ids = authIndexes(config);
  return config[section].map((entry, i) => {
    const authIndex = ids.get(`config:${section}[${i}]`);
    return authIndex ? { ...entry, 'auth-index': authIndex } : { ...entry };
  });
}

/** openai-compatibility with the `auth-index` of each of its API keys. */
export function compatListView(config: Readonly<AppConfig>): Entry[] {
  const ids = authIndexes(config);
  return config['openai-compatibility'].map((entry, i) => {
    const name = entry.name.trim();
    return {
      ...entry,
      'api-key-entries': entry['api-key-entries'].map((key, j) => {
        const authIndex = ids.get(`config:openai-compatibility[${i}]:${name}[${j}]`);
        return authIndex ? { ...key, 'auth-index': authIndex } : { ...key };
      }),
    };
  });
}
