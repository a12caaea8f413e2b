import { withQuery } from './api-client';
import { EMPTY_REQUEST_FILTER, requestFilterQuery } from './request-filter';

describe('requestFilterQuery', () => {
  it('should map the form onto the cluster API parameters', () => {
    const r = requestFilterQuery({
      minStatus: '400',
      maxStatus: ' 499 ',
      provider: 'claude',
      model: 'claude-fake',
      key: 'sk-…1111',
    });
    expect(r).toEqual({
      ok: true,
      query: {
        min_status: '400',
        max_status: '499',
        subdomain: 'claude',
        model: 'claude-fake',
        key: 'sk-…1111',
      },
    });
  });

  it('should leave empty fields out of the query string', () => {
    const r = requestFilterQuery({ ...EMPTY_REQUEST_FILTER, model: 'm' });
    expect(r.ok && withQuery('/api/v1/proxy/requests', r.query)).toBe(
      '/api/v1/proxy/requests?model=m',
    );
  });

  it('should reject a status that is not an HTTP status', () => {
    const r = requestFilterQuery({ ...EMPTY_REQUEST_FILTER, minStatus: '42', maxStatus: '700' });
    expect(r.ok).toBe(false);
    expect(!r.ok && Object.keys(r.errors).sort()).toEqual(['maxStatus', 'minStatus']);
  });

  it('should reject a range whose bounds are reversed', () => {
    const r = requestFilterQuery({ ...EMPTY_REQUEST_FILTER, minStatus: '500', maxStatus: '400' });
    expect(!r.ok && r.errors.maxStatus).toMatch(/not be below/);
  });
});

describe('withQuery', () => {
  it('should append to an existing query string and encode values', () => {
    expect(withQuery('/x?a=1', { b: 'c d', e: undefined })).toBe('/x?a=1&b=c+d');
  });
});
