import { codexClaims } from '@app/oauth/login/codex-claims';

function jwt(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.sig`;
}

describe(codexClaims.name, () => {
  it('should read email, account id and plan from the OpenAI auth claim', () => {
    const token = jwt({
      email: 'u@example.com',
      'https://api.openai.com/auth': { chatgpt_account_id: 'acct-1', chatgpt_plan_type: 'pro' },
    });
    expect(codexClaims(token)).toEqual({
      email: 'u@example.com',
      accountId: 'acct-1',
      planType: 'pro',
    });
  });

  it('should leave out what the token does not carry', () => {
    expect(codexClaims(jwt({ email: 'u@example.com' }))).toEqual({
      email: 'u@example.com',
      accountId: undefined,
      planType: undefined,
    });
  });

  it('should give nothing for a missing or malformed token', () => {
    expect(codexClaims(undefined)).toEqual({});
    expect(codexClaims('not-a-jwt')).toEqual({});
    expect(codexClaims('a.!!!.c')).toEqual({});
  });
});
