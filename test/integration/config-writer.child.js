// Child process of config-crash.int-spec.ts: loads ConfigRepository from its TypeScript source
// (compiled on load with @swc/core, @app/* aliases resolved to libs/*/src) and replaces
// config.yaml with writeAtomic in a loop, alternating two texts, until it is killed.
// Usage: node config-writer.child.js <config.yaml> <text-a file> <text-b file>
// SWC_CACHE_DIR, when set, keeps the compiled modules so later children start faster.
'use strict';
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const root = path.join(__dirname, '..', '..');
const ALIAS = /^@app\/([^/]+)(\/.*)?$/;

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = ALIAS.exec(request);
  const target = m ? path.join(root, 'libs', m[1], 'src', m[2] || '') : request;
  return resolveFilename.call(this, target, ...rest);
};

const cacheDir = process.env.SWC_CACHE_DIR;

function compile(filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  });
  return code;
}

require.extensions['.ts'] = (module, filename) => {
  if (!cacheDir) return module._compile(compile(filename), filename);
  const id = createHash('sha1')
    .update(`${filename}:${statSync(filename).mtimeMs}`)
    .digest('hex');
  const cached = path.join(cacheDir, `${id}.js`);
  let code;
  try {
    code = readFileSync(cached, 'utf8');
  } catch {
    code = compile(filename);
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cached, code);
  }
  module._compile(code, filename);
};

require('reflect-metadata');
const { ConfigRepository } = require(path.join(root, 'libs/config/src/config.repository.ts'));

const [file, aPath, bPath] = process.argv.slice(2);
const texts = [readFileSync(aPath, 'utf8'), readFileSync(bPath, 'utf8')];

async function main() {
  const repo = new ConfigRepository();
  process.stdout.write('ready\n');
  for (let n = 1; ; n++) {
    await repo.writeAtomic(file, texts[n % 2]);
  }
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
