import { format } from 'node:util';

// Nothing may print through the console while `npm test` runs: an SDK warning about a fixture
// model name, a stray debug line. A spec that prints fails, naming what it printed. Specs that
// expect a library to warn mock the console method themselves (jest.spyOn(console, 'warn')).
const METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;
const printed: string[] = [];

for (const method of METHODS) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    printed.push(`console.${method}: ${format(...args)}`);
    original(...args);
  };
}

afterEach(() => {
  if (printed.length === 0) return;
  const lines = printed.splice(0);
  throw new Error(
    `this spec printed to the console (a passing run prints nothing):\n${lines.join('\n')}`,
  );
});
