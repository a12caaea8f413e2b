import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loginError, type LoginErrorBody } from '@app/common';
import { ManagementRoute } from '@app/management';
import {
  LOGIN_PROVIDERS,
  LoginService,
  loginSpec,
  parsePastedCallback,
  type CallbackParams,
  type LoginProvider,
} from '@app/oauth';
import { loginReply } from '@app/gateway/oauth/login-reply';

const PREFIX = 'v0/management';

/** `/v0/management/<route>-auth-url` → provider (`gemini-cli-auth-url` → gemini). */
const AUTH_URL_ROUTES: ReadonlyMap<string, LoginProvider> = new Map(
  LOGIN_PROVIDERS.map((p) => [`/${PREFIX}/${loginSpec(p).route}-auth-url`, p]),
);

type Json = Record<string, unknown>;

function field(body: unknown, key: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const v = (body as Json)[key];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

/** The answer to `*-auth-url`. */
interface AuthUrlAnswer {
  status: 'ok';
  url: string;
  state: string;
  flow?: 'device';
  user_code?: string;
  expires_in?: number;
}

/**
 * CLIProxyAPI's OAuth login routes: start a login (`*-auth-url`), deliver a pasted redirect
 * (`oauth-callback`), poll (`get-auth-status`), and iFlow's cookie login. Management auth applies.
 */
@Controller(PREFIX)
@ManagementRoute()
export class OAuthLoginController {
  constructor(private readonly login: LoginService) {}

  /** Start a login; Gemini CLI takes `?project_id=` (a project id or `ALL`). */
  @Get([...AUTH_URL_ROUTES.keys()].map((p) => p.slice(PREFIX.length + 2)))
  async authUrl(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query('project_id') projectId?: string,
  ): Promise<AuthUrlAnswer | LoginErrorBody> {
    return loginReply(reply, async () => {
      const provider = AUTH_URL_ROUTES.get(req.routeOptions.url ?? '');
      if (!provider) throw loginError(404, 'unknown login provider');
      const s = await this.login.start(provider, { projectId });
      const out: AuthUrlAnswer = { status: 'ok', url: s.url, state: s.state };
      if (s.flow === 'device') {
        out.flow = 'device';
        if (s.userCode) out.user_code = s.userCode;
        if (s.expiresIn !== undefined) out.expires_in = s.expiresIn;
      }
      return out;
    });
  }

  /** iFlow's cookie login: `{"cookie": "BXAuth=…"}` → an auth file, no browser round trip. */
  @Post('iflow-auth-url')
  @HttpCode(200)
  async iflowCookie(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Json | LoginErrorBody> {
    return loginReply(reply, async () => {
      const r = await this.login.loginWithIflowCookie(field(body, 'cookie') ?? '');
      return { status: 'ok', saved_path: r.path, email: r.email, expired: r.expired, type: r.type };
    });
  }

  /**
   * Deliver a login's redirect by hand: `{provider, redirect_url}` (the URL the browser ended
   * on) or `{provider, code, state}`, or `{provider, state, error}`. The login finishes here.
   */
  @Post('oauth-callback')
  @HttpCode(200)
  async oauthCallback(
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ status: 'ok' } | LoginErrorBody> {
    return loginReply(reply, async () => {
      let params: CallbackParams = {
        state: field(body, 'state'),
        code: field(body, 'code'),
        error: field(body, 'error') ?? field(body, 'error_description'),
      };
      const redirect = field(body, 'redirect_url');
      if (redirect) {
        const pasted = parsePastedCallback(redirect);
        if (!pasted) throw loginError(400, 'invalid redirect_url');
        params = {
          state: params.state ?? pasted.state,
          code: params.code ?? pasted.code,
          error: params.error ?? pasted.error,
        };
      }
      await this.login.complete({ ...params, provider: field(body, 'provider') });
      return { status: 'ok' as const };
    });
  }

  /** `{"status":"wait"}`, `{"status":"ok"}` or `{"status":"error","error":…}`. */
  @Get('get-auth-status')
  async status(
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query('state') state?: string,
  ): Promise<Json | LoginErrorBody> {
    // CLIProxyAPI answers a bare call (no state) with ok; the panel uses it as a ping.
    if (!state?.trim()) return { status: 'ok' };
    return loginReply(reply, async () => {
      const v = await this.login.status(state.trim());
      if (v.status === 'error') return { status: 'error', error: v.error };
      return v.status === 'ok' && v.fileName
        ? { status: 'ok', file: v.fileName }
        : { status: v.status };
    });
  }
}
