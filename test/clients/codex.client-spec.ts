import { codex } from './cli-adapters';
import { describeClientMatrix } from './client-matrix';

// Codex CLI (`codex exec`, custom provider with wire_api = "responses") against every upstream
// family; the Responses family is its own format.
describeClientMatrix(codex, {
  sameFormat: 'responses',
  checks: (run, family) => {
    if (family.family !== 'responses') return;
    run.client.forEach((x, i) => {
      const beta = x.headers['openai-beta'];
      if (beta !== undefined) expect(run.upstream[i]?.headers['openai-beta']).toBe(beta);
    });
  },
});
