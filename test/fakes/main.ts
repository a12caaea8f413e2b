import { FakeUpstream } from './fake-upstream';

// Standalone fake for the benchmark and the container test:
//   node dist/test/fakes/main.js --port 9000 --host 127.0.0.1 [--chunks 20] [--cached-tokens 0]
//     [--max-records 0] [--no-strict] [--chunk-delay-ms 0]
// --chunk-delay-ms pauses between stream frames (the compose test sees streams arrive in pieces
// through the load balancer).
// Prints the URL on stdout; SIGTERM/SIGINT close it and exit 0.

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function numberFlag(args: readonly string[], name: string): number | undefined {
  const v = flag(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new Error(`--${name} needs a non-negative number, got "${v}"`);
  }
  return n;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fake = await FakeUpstream.start({
    port: numberFlag(args, 'port') ?? 0,
    host: flag(args, 'host') ?? '127.0.0.1',
    streamChunks: numberFlag(args, 'chunks'),
    cachedTokens: numberFlag(args, 'cached-tokens'),
    maxRecords: numberFlag(args, 'max-records') ?? 1000,
    strict: !args.includes('--no-strict'),
  });
  const delay = numberFlag(args, 'chunk-delay-ms') ?? 0;
  if (delay > 0) fake.delayBetweenChunks(delay);
  process.stdout.write(`${fake.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `fake upstream failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
