import type { AppError } from '@app/common/errors';

/** The wire formats an error can be rendered in. */
export type ErrorFormat = 'openai' | 'claude' | 'gemini' | 'plain' | 'management';

/** What every renderer needs. */
export interface RenderableError {
  status: number;
  type: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
}

/** The gateway's own surfaces (`/status`, unknown routes): `{"error":{type,message,code?}}`. */
export function renderPlainError(e: RenderableError): Record<string, unknown> {
  return {
    error: {
      type: e.type,
      message: e.message,
      ...(e.code ? { code: e.code } : {}),
      ...e.details,
    },
  };
}

/** CLIProxyAPI's management API: `{"error":"message"}`. */
export function renderManagementError(e: RenderableError): Record<string, unknown> {
  return { error: e.message };
}

const CONTROL_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

/**
 * The control API (the dashboard's shape): `{"error": <title>, "message": <detail>}`. A control
 * error brings its title (and extra fields, first) in its details; others get the status's.
 */
export function renderControlError(e: RenderableError): Record<string, unknown> {
  const details = e.details ?? {};
  if ('error' in details) return { ...details, message: e.message };
  const title = CONTROL_TITLES[e.status] ?? (e.status >= 500 ? 'Internal error' : 'Request failed');
  return { error: title, message: e.message };
}

/** The cluster API: `{"error": message, "code": CODE}` (docs/cluster.md). */
export function renderClusterError(e: RenderableError): { error: string; code: string } {
  return { error: e.message, code: e.code ?? 'INTERNAL' };
}

/** CLIProxyAPI's error body on its OAuth routes. */
export interface LoginErrorBody {
  status: 'error';
  error: string;
  [extra: string]: string;
}

/** CLIProxyAPI's OAuth routes: `{"status":"error","error":message}`, extra fields first. */
export function renderLoginError(e: AppError): LoginErrorBody {
  return { ...(e.details as Record<string, string>), status: 'error', error: e.message };
}
