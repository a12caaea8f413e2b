import { pageFromHash, pageHash, queryFromHash } from './routes';

describe('pageFromHash', () => {
  it('should map page routes and default to the overview', () => {
    expect(pageFromHash('#/requests')).toBe('requests');
    expect(pageFromHash('#/cluster/logs')).toBe('cluster');
    expect(pageFromHash('')).toBe('overview');
    expect(pageFromHash('#/nope')).toBe('overview');
  });

  it('should ignore in-page anchors', () => {
    expect(pageFromHash('#main')).toBeUndefined();
  });
});

describe('queryFromHash', () => {
  it('should read the filters after a page and write them back', () => {
    expect(queryFromHash('#/credentials?status=cooling&q=a%40x.com')).toEqual({
      status: 'cooling',
      q: 'a@x.com',
    });
    expect(queryFromHash('#/overview')).toEqual({});
    expect(pageHash('requests', { key: '1a2b3c4d' })).toBe('#/requests?key=1a2b3c4d');
    expect(pageFromHash('#/credentials?status=cooling')).toBe('credentials');
  });
});
