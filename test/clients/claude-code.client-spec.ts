import { claudeCode } from './cli-adapters';
import { FAMILIES, PLAIN_CLAUDE_KEY } from './client-env';
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
// (every alias here) it sends mid-conversation `role: "system"` messages and its betas. Its
// default model is served by a Claude key configured as users do (no `models:` list): the
// default is newer than the built-in catalog, so the Claude family fallback serves it.
describeClientMatrix(claudeCode, {
  sameFormat: 'claude',
  env: { plainClaudeKey: true },
  checks: (run, family) => {
    if (family.family === 'claude') expectClaudeHeadersForwarded(run);
    else expectSystemReminders(run, family);
  },
  more: ({ env, installed }) => {
    it("should answer with Claude Code's default model name (no --model) from a key without models", async () => {
      const aliased = FAMILIES.find((f) => f.family === 'claude');
      if (!aliased || !installed.defaultModel)
        throw new Error('clients.json names no default model');
      const claude = { ...aliased, key: PLAIN_CLAUDE_KEY };
      const run = await runRow(env(), claudeCode, installed, 'plain', undefined);
      expectAnswered(run);
      expectRoutedTo(run, claude, installed.defaultModel);
      expectBodyUnchanged(run, claude);
      expectClaudeHeadersForwarded(run);
    });
  },
});
