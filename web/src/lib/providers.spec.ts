import { keySections, loginOptions, quotaRoutes, type ProvidersAnswer } from './providers';

const answer: ProvidersAnswer = {
  providers: [
    {
      id: 'gemini',
      label: 'Gemini',
      aliases: ['google'],
      http: true,
      api_keys: { section: 'gemini-api-key', label: 'Gemini' },
    },
    {
      id: 'gemini-cli',
      label: 'Gemini CLI',
      aliases: [],
      http: true,
      auth_file_types: ['gemini', 'gemini-cli'],
      login: {
        route: 'gemini-cli',
        title: 'Gemini CLI (Google)',
        flow: 'redirect',
        asks_project: true,
        aliases: ['gemini', 'gemini-cli', 'google'],
      },
      quota: { route: 'gemini', polled: true },
    },
    {
      id: 'antigravity',
      label: 'Antigravity',
      aliases: [],
      http: true,
      auth_file_types: ['antigravity'],
      quota: { route: 'agy', polled: true },
    },
    { id: 'aistudio', label: 'AI Studio', aliases: [], http: false, auth_file_types: ['aistudio'] },
  ],
  foreign_quota_routes: { copilot: 'ghcp' },
};

describe('provider lists', () => {
  it('should list the logins with their route, title and project question', () => {
    expect(loginOptions(answer)).toEqual([
      { id: 'gemini-cli', label: 'Gemini CLI (Google)', project: true },
    ]);
  });

  it('should list the API-key sections of config.yaml', () => {
    expect(keySections(answer)).toEqual([{ section: 'gemini-api-key', label: 'Gemini' }]);
  });

  it('should file accounts under their quota route by provider id and by auth-file type', () => {
    expect(quotaRoutes(answer)).toEqual({
      'gemini-cli': 'gemini',
      gemini: 'gemini',
      antigravity: 'agy',
      copilot: 'ghcp',
    });
  });

  it('should list nothing before the registry has loaded', () => {
    expect(loginOptions(undefined)).toEqual([]);
    expect(keySections(undefined)).toEqual([]);
    expect(quotaRoutes(undefined)).toEqual({});
  });
});
