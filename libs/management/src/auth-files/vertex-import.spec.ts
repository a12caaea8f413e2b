import { parseAuthFileJson } from '@app/routing';
import { vertexAuthFile, vertexFileName } from '@app/management/auth-files/vertex-import';

const SA = {
  type: 'service_account',
  project_id: 'my-project-42',
  private_key_id: 'k1',
  private_key: '-----BEGIN PRIVATE KEY-----\nFAKE\n-----END PRIVATE KEY-----\n',
  client_email: 'sa@my-project-42.iam.gserviceaccount.com',
};

describe(vertexAuthFile.name, () => {
  it('should build a vertex auth file the credential parser accepts', () => {
    const r = vertexAuthFile(SA);
    expect(r).toEqual({
      ok: true,
      name: 'vertex-my-project-42.json',
      json: {
        type: 'vertex',
        service_account: SA,
        project_id: 'my-project-42',
        email: 'sa@my-project-42.iam.gserviceaccount.com',
        location: 'us-central1',
        label: 'my-project-42 (sa@my-project-42.iam.gserviceaccount.com)',
      },
    });
    if (r.ok) expect(parseAuthFileJson(r.name, r.json).provider).toBe('vertex');
    expect(vertexAuthFile(SA, 'europe-west4')).toMatchObject({
      json: { location: 'europe-west4' },
    });
  });

  it.each([
    ['not an object', 'x', /must be a JSON object/],
    ['another key type', { ...SA, type: 'authorized_user' }, /expected "service_account"/],
    ['no project', { ...SA, project_id: '' }, 'project_id missing'],
    ['no client email', { ...SA, client_email: undefined }, /client_email missing/],
    ['no PEM key', { ...SA, private_key: 'abc' }, /private_key/],
  ])('should refuse %s', (_what, sa, error) => {
    const r = vertexAuthFile(sa);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it('should refuse a location that is not a region name', () => {
    const r = vertexAuthFile(SA, '../../etc');
    expect(r).toMatchObject({ ok: false, error: /invalid location/ });
  });
});

describe(vertexFileName.name, () => {
  it('should keep the file name inside the safe alphabet', () => {
    expect(vertexFileName('proj/../x y:z')).toBe('vertex-proj-.-x-y-z.json');
    expect(vertexFileName('  ')).toBe('vertex-vertex.json');
  });
});
