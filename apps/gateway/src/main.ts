import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NameTakenError, REFUSED_EXIT_CODE } from '@app/cluster';
import { ConfigService } from '@app/config';
import { ProcessLogger } from '@app/logs';
import { RedisService } from '@app/storage';
import { createGatewayApp } from '@app/gateway/app.factory';
import { LifecycleService } from '@app/gateway/lifecycle/lifecycle.service';
import { installGracefulShutdown } from '@app/common';

async function main(): Promise<void> {
  const app = await createGatewayApp({ bufferLogs: true });
  // From here on every log line also goes to the cluster's shared process log.
  app.useLogger(app.get(ProcessLogger));
  const config = app.get(ConfigService);
  const cfg = config.current;
  if (cfg['api-keys'].length === 0) {
    Logger.warn('api-keys is empty: the proxy is open to anyone who can reach it', 'Gateway');
  }
  // Give Redis a moment so the first /status is accurate; the gateway serves without it anyway.
  await app.get(RedisService).waitReady(3000);
  const host = cfg.host || '0.0.0.0';
  await app.listen(cfg.port, host);
  Logger.log(`listening on http://${host}:${cfg.port}`, 'Gateway');
  const lifecycle = app.get(LifecycleService);
  installGracefulShutdown({
    name: 'gateway',
    drainMs: 15000,
    beforeClose: () => lifecycle.startDraining(),
    close: async () => {
      // Connections busy when the drain began turn idle (keep-alive) as their last response
      // ends; close them as they do, or server.close() would wait for the clients to hang up.
      const server = app.getHttpServer();
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
    },
  });
}

main().catch((err: unknown) => {
  // A broken config, a port in use or a name taken: say it once, clearly, and exit non-zero.
  Logger.error((err as Error)?.message ?? String(err), 'Gateway');
  Logger.flush();
  process.exit(err instanceof NameTakenError ? REFUSED_EXIT_CODE : 1);
});
