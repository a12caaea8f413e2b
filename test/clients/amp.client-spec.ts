import { randomBytes } from 'node:crypto';
import { FAKE_AMP_ACTOR_REFUSAL, FAKE_AMP_THREAD_ID } from '@test/fakes/amp/fake-amp-server';
import { describeRun, isolatedEnv, makeSandbox, runCli, type CliResult } from './cli-run';
import {
  AMP_UPSTREAM_KEY,
  CLIENT_KEY,
  ClientEnv,
  installedClients,
  type InstalledClient,
} from './client-env';
import { isGeneration, plainAnswer, scenarioHook } from './client-scenario';

// The Amp CLI (`amp -x`, AMP_URL at the gateway, the gateway's client key as AMP_API_KEY) against
// the fake Amp server, through the gateway's Amp namespace forwarding. Two releases: the current
// one, which runs its agent (and so its model calls) in a thread actor on Amp's servers and talks
// to it over a WebSocket under /actors; and the last Node release, whose CLI makes the model calls
// itself through /api/provider/..., which the gateway serves with its own credentials.

const clients = installedClients();

async function runAmp(env: ClientEnv, amp: InstalledClient, prompt: string): Promise<CliResult> {
  const sb = makeSandbox('unused');
  try {
    return await runCli(amp.binPath, ['-x', prompt], {
      cwd: sb.work,
      env: isolatedEnv(sb.home, {
        AMP_URL: env.gatewayUrl,
        AMP_API_KEY: CLIENT_KEY,
        AMP_SKIP_UPDATE_CHECK: '1',
        // Print the cause of a failure, not only "Unexpected error inside Amp CLI".
        AMP_DEBUG: '1',
      }),
    });
  } finally {
    sb.cleanup();
  }
}

/** Every request reached Amp with the Amp key, never the client's. */
function expectAmpKeyOnly(env: ClientEnv, run: CliResult): void {
  for (const r of env.amp.http) {
    if (r.headers.authorization !== `Bearer ${AMP_UPSTREAM_KEY}`) {
      throw new Error(
        `${r.method} ${r.path} reached Amp with ${String(r.headers.authorization)}\n${describeRun(run)}`,
      );
    }
    expect(JSON.stringify(r.headers)).not.toContain(CLIENT_KEY);
  }
}

describe('Amp CLI through the gateway', () => {
  let env: ClientEnv;
  const legacy = clients['amp-node'];

  beforeAll(async () => {
    const models = [legacy.defaultModel, legacy.titleModel].filter((m): m is string => !!m);
    env = await ClientEnv.start({ claudeModels: models });
  });

  afterAll(async () => {
    await env?.close();
  });

  beforeEach(() => env.reset());

  it(`should get ${clients.amp.package} ${clients.amp.version} through every Amp route it calls and into its thread actor`, async () => {
    const run = await runAmp(env, clients.amp, 'Reply with the word hello.');
    const output = `${run.stdout}\n${run.stderr}`;
    // The fake actor ends the run with Amp's own final refusal: it came back through the tunnel.
    if (!output.includes(FAKE_AMP_ACTOR_REFUSAL)) {
      throw new Error(
        `the actor's answer did not reach the CLI\n${describeRun(run)}\n--- Amp saw\n${env.amp.routes().join('\n')}`,
      );
    }
    expect(env.amp.routes()).toEqual(
      expect.arrayContaining([
        'POST /api/internal?getUserInfo',
        'POST /api/internal?loadPlugins',
        'POST /api/internal?loadSkills',
        'POST /api/thread-actors',
        'POST /api/internal?getThreadTail',
      ]),
    );
    expectAmpKeyOnly(env, run);
    const socket = env.amp.sockets.find((s) => s.path.startsWith('/actors/'));
    expect(socket?.path).toBe('/actors/gateway/threadActor/websocket/');
    expect(socket?.query).toContain(`rvt-key=${FAKE_AMP_THREAD_ID}`);
    expect(socket?.protocol).toBe('rivet');
    expect(socket?.received.some((f) => f.includes('"executor_connect"'))).toBe(true);
    // Its model calls happen in the actor on Amp's servers: none reaches the gateway's upstreams.
    expect(env.fake.requests()).toHaveLength(0);
  });

  it(`should serve ${legacy.package} ${legacy.version}'s model calls with a local credential`, async () => {
    if (!legacy.defaultModel) throw new Error('clients.json names no default model for amp-node');
    const tag = `sbamp${randomBytes(4).toString('hex')}`;
    env.fake.onRequest(scenarioHook({ tag }));
    const run = await runAmp(env, legacy, `Reply with the word ${tag}.`);
    env.fake.onRequest();
    const explain = `${describeRun(run)}\n--- Amp saw\n${env.amp.routes().join('\n')}`;
    if (run.code !== 0 || !run.stdout.includes(plainAnswer({ tag }))) {
      throw new Error(`amp -x did not print the local answer\n${explain}`);
    }
    const calls = env.fake.requests().filter(isGeneration);
    const main = calls.filter((r) => r.model === legacy.defaultModel);
    expect(main.length).toBeGreaterThan(0);
    for (const r of calls) {
      expect(r.route).toBe('claude-messages');
      expect(r.apiKey).toBe('up-claude-key');
    }
    expect(env.amp.routes().some((r) => r.includes('/api/provider/'))).toBe(false);
    expect(env.amp.routes()).toEqual(expect.arrayContaining(['POST /api/internal?getUserInfo']));
    expectAmpKeyOnly(env, run);
  });
});
