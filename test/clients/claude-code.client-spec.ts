import { claudeCode } from './cli-adapters';
import { FAMILIES } from './client-env';
import { describeClientMatrix } from './client-matrix';
import {
  expectAnswered,
  expectBodyUnchanged,
  expectClaudeHeadersForwarded,
  expectRoutedTo,
  expectSystemReminders,
  runRow,
} from './client-rows';

// Claude Code (`claude -p`) against every upstream family. For a model name it does not know
// (every alias here) it sends mid-conversation `role: "system"` messages and its betas.
describeClientMatrix(claudeCode, {
  sameFormat: 'claude',
  claudeModels: (c) => (c.defaultModel ? [c.defaultModel] : []),
  checks: (run, family) => {
    if (family.family === 'claude') expectClaudeHeadersForwarded(run);
    else expectSystemReminders(run, family);
  },
  more: ({ env, installed }) => {
    it("should answer with Claude Code's default model name (no --model)", async () => {
      const claude = FAMILIES.find((f) => f.family === 'claude');
      if (!claude || !installed.defaultModel)
        throw new Error('clients.json names no default model');
      const run = await runRow(env(), claudeCode, installed, 'plain', undefined);
      expectAnswered(run);
      expectRoutedTo(run, claude, installed.defaultModel);
      expectBodyUnchanged(run, claude);
      expectClaudeHeadersForwarded(run);
    });
  },
});
