import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@app/common';
import {
  callbackFromQuery,
  LOGIN_PROVIDERS,
  LoginService,
  loginSpec,
  providersForCallbackPath,
  renderCallbackPage,
} from '@app/oauth';

/** The gateway landing paths of the redirect flows (`/anthropic/callback`, `/google/callback`…). */
const CALLBACK_PATHS = [
  ...new Set(LOGIN_PROVIDERS.map((p) => loginSpec(p).callbackPath).filter((p): p is string => !!p)),
];

/**
 * Where the browser lands after a provider's consent page. No management key: the state in the
 * query is the credential (unguessable, single use, 10 minutes). The login finishes here, on
 * whichever replica the browser reached, and the page says whether it worked.
 */
@Controller()
export class OAuthCallbackController {
  constructor(private readonly login: LoginService) {}

  @Get(CALLBACK_PATHS.map((p) => p.slice(1)))
  async land(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const path = req.routeOptions.url ?? '';
    const query = new URL(req.url, 'http://gateway').searchParams;
    let status = 200;
    let page: string;
    try {
      const done = await this.login.complete({
        ...callbackFromQuery(query),
        allowedProviders: providersForCallbackPath(path),
      });
      page = renderCallbackPage({
        ok: true,
        message: `Signed in${done.email ? ` as ${done.email}` : ''}; saved ${done.fileName}.`,
      });
    } catch (err) {
      if (!AppError.is(err, 'login')) throw err;
      status = err.status;
      page = renderCallbackPage({ ok: false, message: err.message });
    }
    await reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(page);
  }
}
