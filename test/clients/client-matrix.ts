import type { CliAdapter } from './cli-adapters';
import {
  ClientEnv,
  FAMILIES,
  installedClients,
  type ClientEnvOptions,
  type Family,
  type InstalledClient,
} from './client-env';
import {
  expectAnswered,
  expectBodyUnchanged,
  expectRoutedTo,
  expectStreamed,
  expectToolLoop,
  runRow,
  type RowRun,
} from './client-rows';

/** Checks a CLI adds to every row of one upstream family (same-format body, headers...). */
export type FamilyChecks = (run: RowRun, family: Family) => void;

/**
 * The rows every coding CLI runs: for each upstream family, through its alias, a plain answer,
 * a streamed answer and a tool loop; `sameFormat` names the family that speaks the CLI's own
 * format (its bodies must arrive unchanged but for the model), `checks` adds the CLI's own.
 */
export function describeClientMatrix(
  adapter: CliAdapter,
  opts: {
    sameFormat: Family['family'];
    checks?: FamilyChecks;
    /** How the CLI needs the gateway configured beyond the aliased families. */
    env?: ClientEnvOptions;
    more?: (ctx: { env: () => ClientEnv; installed: InstalledClient }) => void;
  },
): void {
  const installed = installedClients()[adapter.id];
  describe(`${installed.package} ${installed.version} through the gateway`, () => {
    let env: ClientEnv;

    beforeAll(async () => {
      env = await ClientEnv.start(opts.env);
    });

    afterAll(async () => {
      await env?.close();
    });

    describe.each(FAMILIES)('upstream $family via alias $alias', (family) => {
      const common = (run: RowRun): void => {
        expectRoutedTo(run, family);
        if (family.family === opts.sameFormat) expectBodyUnchanged(run, family);
        opts.checks?.(run, family);
      };

      it('should answer in plain text', async () => {
        const run = await runRow(env, adapter, installed, 'plain', family.alias);
        expectAnswered(run);
        common(run);
      });

      it('should stream the answer', async () => {
        const run = await runRow(env, adapter, installed, 'stream', family.alias);
        const printed = adapter.streamed(run.result.stdout);
        expectAnswered(run, printed.final);
        expectStreamed(run, adapter.format, printed);
        common(run);
      });

      it('should run a tool loop', async () => {
        const run = await runRow(env, adapter, installed, 'tool', family.alias);
        expectToolLoop(run);
        common(run);
      });
    });

    opts.more?.({ env: () => env, installed });
  });
}
