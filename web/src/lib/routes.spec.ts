import { pageFromHash } from './routes';

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
