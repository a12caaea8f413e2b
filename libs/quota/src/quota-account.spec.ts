import { parseAuthFileJson, type Credential } from '@app/routing';
import { findQuotaAccount } from '@app/quota/quota-account';

function cred(name: string, json: Record<string, unknown>): Credential {
  return parseAuthFileJson(name, json);
}

const codexPersonal = cred('codex-dev@example.com-plus.json', {
  type: 'codex',
  email: 'dev@example.com',
  access_token: 'at-1',
  refresh_token: 'rt-1',
});
const codexTeam = cred('codex-dev@example.com-team.json', {
  type: 'codex',
  email: 'dev@example.com',
  access_token: 'at-2',
  refresh_token: 'rt-2',
});
const codexOther = cred('codex-solo@example.com.json', {
  type: 'codex',
  email: 'solo@example.com',
  access_token: 'at-3',
  refresh_token: 'rt-3',
});
const all = [codexPersonal, codexTeam, codexOther];

describe(findQuotaAccount.name, () => {
  it('should find an account by a unique email, its file name or its auth_index', () => {
    for (const id of [
      'solo@example.com',
      'SOLO@example.com',
      'codex-solo@example.com.json',
      'codex-solo@example.com',
      codexOther.authIndex,
    ]) {
      expect(findQuotaAccount(all, 'codex', id)).toEqual({ kind: 'one', credential: codexOther });
    }
  });

  it('should list the choices when several accounts share the email', () => {
    const found = findQuotaAccount(all, 'codex', 'dev@example.com');
    expect(found).toEqual({
      kind: 'ambiguous',
      choices: [
        {
          auth_index: codexPersonal.authIndex,
          name: 'codex-dev@example.com-plus.json',
          email: 'dev@example.com',
        },
        {
          auth_index: codexTeam.authIndex,
          name: 'codex-dev@example.com-team.json',
          email: 'dev@example.com',
        },
      ],
    });
    // each one stays reachable on its own
    expect(findQuotaAccount(all, 'codex', codexTeam.authIndex)).toEqual({
      kind: 'one',
      credential: codexTeam,
    });
  });

  it('should find nothing for another provider or an unknown id', () => {
    expect(findQuotaAccount(all, 'claude', 'solo@example.com')).toEqual({ kind: 'none' });
    expect(findQuotaAccount(all, 'codex', 'ghost@example.com')).toEqual({ kind: 'none' });
  });
});
