import { maskKey } from '@app/common';
import { authFileProviderOf, descriptorOf } from '@app/providers';
import { Credential, type CredentialInit } from '@app/routing/credential.types';
import { AuthFileError, FileFields, isObject } from '@app/routing/auth-file.fields';
import { readLayout } from '@app/routing/auth-file.layouts';

export { AuthFileError, decodeJwtClaims, parseExpiry } from '@app/routing/auth-file.fields';

/** Parse an already-decoded auth file. Throws AuthFileError naming the file and field. */
export function parseAuthFileJson(fileName: string, data: unknown): Credential {
  if (!isObject(data)) throw new AuthFileError(fileName, '(root)', 'must be a JSON object');
  const f = new FileFields(fileName, data);
  const type =
    f.str('type')?.toLowerCase() ??
    f.fail('type', 'is required (e.g. "claude", "codex", "gemini")');
  const provider = authFileProviderOf(type) ?? f.fail('type', `unknown auth file type "${type}"`);
  const fields = readLayout(f, descriptorOf(provider).authFile);
  const email = f.str('email') ?? fields.email;
  const apiKey = fields.secret.apiKey;
  const init: CredentialInit = {
    id: `file:${fileName}`,
    indexSeed: `file:${fileName}`,
    provider,
    channel: provider,
    kind: 'oauth',
    source: 'file',
    fileName,
    label: email ?? (apiKey ? maskKey(apiKey) : fileName),
    email,
    priority: f.priority(),
    prefix: f.prefix(),
    proxyUrl: f.str('proxy_url'),
    headers: f.headers(),
    excludedModels: f.stringList(f.either('excluded_models', 'excluded-models')),
    disabled: f.bool('disabled'),
    disableCooling: f.bool(f.either('disable_cooling', 'disable-cooling')),
    planType: fields.planType,
    secret: fields.secret,
  };
  return new Credential(init);
}

/** Parse one auth file's text (JSON parsed once). Throws AuthFileError. */
export function parseAuthFile(fileName: string, text: string): Credential {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new AuthFileError(fileName, '(json)', `not valid JSON: ${(err as Error).message}`);
  }
  return parseAuthFileJson(fileName, data);
}

/** Outcome of parsing many files: the usable credentials and one error per skipped file. */
export interface AuthFileParseResult {
  credentials: Credential[];
  errors: AuthFileError[];
}

/** Parse every file; invalid ones are reported, never fatal. */
export function parseAuthFiles(
  files: readonly { name: string; text: string }[],
): AuthFileParseResult {
  const credentials: Credential[] = [];
  const errors: AuthFileError[] = [];
  for (const file of files) {
    try {
      credentials.push(parseAuthFile(file.name, file.text));
    } catch (err) {
      errors.push(
        err instanceof AuthFileError
          ? err
          : new AuthFileError(file.name, '(file)', (err as Error).message),
      );
    }
  }
  return { credentials, errors };
}
