import { geminiCli } from './cli-adapters';
import { describeClientMatrix } from './client-matrix';

// Gemini CLI (`gemini -p`, GOOGLE_GEMINI_BASE_URL at the gateway) against every upstream family.
describeClientMatrix(geminiCli, { sameFormat: 'gemini' });
