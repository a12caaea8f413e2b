import { Logger } from '@nestjs/common';

// A passing run prints nothing but jest's own output. Nest's default logger writes straight to
// stdout, so specs that boot modules or provoke expected errors (Redis down, a broken auth file)
// would print them: it is switched off here. `logger: [...]` options given to NestFactory only
// set levels on it, so they stay silent too. Specs that check log lines spy on Logger's
// methods or pass their own logger. TEST_LOGS=1 brings the output back for debugging a spec.
if (!process.env.TEST_LOGS) Logger.overrideLogger(false);
