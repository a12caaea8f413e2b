import { createPkce, newLoginState, pkceChallenge, stateProblem } from '@app/oauth/login/pkce';

describe(createPkce.name, () => {
  it('should compute the S256 challenge of RFC 7636 appendix B', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('should create a 43-character unreserved verifier whose challenge matches', () => {
    const p = createPkce();
    expect(p.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.challenge).toBe(pkceChallenge(p.verifier));
    expect(createPkce().verifier).not.toBe(p.verifier);
  });
});

describe('login state', () => {
  it('should create unguessable states that pass validation', () => {
    const states = new Set(Array.from({ length: 50 }, () => newLoginState()));
    expect(states.size).toBe(50);
    for (const s of states) {
      expect(s.length).toBeGreaterThanOrEqual(32);
      expect(stateProblem(s)).toBeUndefined();
    }
  });

  it.each([
    ['', 'state is empty'],
    ['a/b', 'characters'],
    ['a\\b', 'characters'],
    ['a..b', '".."'],
    ['x'.repeat(129), 'longer than 128'],
    ['sp ace', 'characters'],
  ])('should refuse %j', (state, why) => {
    expect(stateProblem(state)).toContain(why);
  });

  it('should accept CLIProxyAPI-style states', () => {
    expect(stateProblem('gem-1731234567890123456')).toBeUndefined();
    expect(stateProblem('kmi-1.2_3')).toBeUndefined();
  });
});
