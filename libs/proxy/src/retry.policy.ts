import type { WireError } from '@app/llm';

/** A 400 that is really about the credential (bad key), which another credential may not have. */
const CREDENTIAL_PROBLEM = /api[ _-]?key|credential|unauthori[sz]ed|permission/i;

/**
 * Whether an upstream error before the first byte should fail over to the next credential.
 * Invalid-request errors (400 invalid request, 422) go straight back to the client: another
 * credential would reject the same body.
 */
export function isRetryableStatus(status: number, error?: Pick<WireError, 'message'>): boolean {
  if (status === 422) return false;
  if (status === 400) return !!error && CREDENTIAL_PROBLEM.test(error.message);
  return status >= 400;
}
