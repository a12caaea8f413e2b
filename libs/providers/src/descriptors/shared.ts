// Values several descriptors share.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Google's OAuth endpoints (Gemini CLI and Antigravity accounts). */
export const GOOGLE_AUTHORIZE_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** Code Assist, the API behind Gemini CLI and Antigravity (`/v1internal:<method>`). */
export const CODE_ASSIST_BASE = 'https://cloudcode-pa.googleapis.com';

/** The scopes both Google logins ask for. */
export const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/cloud-platform',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
] as const;

/** Google's authorize query: offline access with forced consent, so a refresh token comes back. */
export const GOOGLE_AUTHORIZE = [
  'access_type=offline',
  'client_id={client_id}',
  '{pkce?}',
  'prompt=consent',
  'redirect_uri={redirect_uri}',
  'response_type=code',
  'scope={scope}',
  'state={state}',
] as const;

/** The model families of Google's own Gemini endpoints. */
export const GEMINI_FAMILY = ['gemini-*'] as const;
