#!/usr/bin/env node
// `npm run k8s:validate`: render deploy/kubernetes with `kubectl kustomize` and check every
// object offline, with no cluster:
//   1. the Kubernetes OpenAPI schemas (kubernetes-models' validators: required fields, types,
//      enums, formats),
//   2. unknown fields (a misspelt key is silently dropped by the API server): each object is
//      type-checked against kubernetes-models' TypeScript types, whose excess-property check
//      names any field the schema does not have,
//   3. this project's rules: probes on /readyz and /healthz, a preStop hook and a grace period
//      above preStop + drain on the gateway, memory requests and limits, a heap cap that fits
//      the limit, non-root, read-only root filesystem.
// Options: --kubectl <path> (else $KUBECTL, else kubectl on PATH, else scripts/kubectl.mjs's pinned one), --rendered <file.yaml>
// (check that file instead of rendering), --json (a machine-readable report).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findKubectl } from './kubectl.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const YAML = require('yaml');
const ts = require('typescript');

/** The kustomizations this repo ships; each must render and validate. */
const TARGETS = ['deploy/kubernetes/base', 'deploy/kubernetes/overlays/example'];
/** How long each process drains after SIGTERM (drainMs in apps/gateway and apps/worker main.ts). */
const DRAIN_SECONDS = { gateway: 15, worker: 30 };

const { values } = parseArgs({
  options: {
    kubectl: { type: 'string' },
    rendered: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
let kubectl;

/** Render one kustomization; throws with kubectl's message. */
function render(target) {
  // --kubectl, $KUBECTL, kubectl on the PATH, or the pinned one from the npm registry.
  kubectl ??= values.kubectl ?? findKubectl();
  try {
    return execFileSync(kubectl, ['kustomize', join(root, target)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    if (err.code === 'ENOENT') {
      throw new Error(`${kubectl} not found: install kubectl, or set KUBECTL to its path`);
    }
    throw new Error(`kubectl kustomize ${target} failed:\n${err.stderr || err.message}`);
  }
}

/** The model module of an object: `kubernetes-models/<apiVersion>/<Kind>`. */
function modelPath(obj) {
  return `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
}

/**
 * The object as the API server reads it: kustomize wraps long base64 values of a Secret's
 * `data` over several lines, which the server's base64 decoder ignores (the `byte` format
 * check does not).
 */
function normalized(obj) {
  if (obj.kind !== 'Secret' || !obj.data) return obj;
  const data = Object.fromEntries(
    Object.entries(obj.data).map(([k, v]) => [
      k,
      typeof v === 'string' ? v.replace(/\s+/g, '') : v,
    ]),
  );
  return { ...obj, data };
}

/** 1. The OpenAPI schema, through kubernetes-models' compiled validators. */
function schemaProblems(obj) {
  let mod;
  try {
    mod = require(modelPath(obj));
  } catch {
    return [`no Kubernetes schema for apiVersion ${obj.apiVersion}, kind ${obj.kind}`];
  }
  const Model = mod[obj.kind];
  try {
    new Model(normalized(obj)).validate();
    return [];
  } catch (err) {
    return String(err.message)
      .split(/, (?=data)/)
      .map((m) => m.replace(/^data/, '').trim());
  }
}

/** 2. Unknown fields, by type-checking every object against its interface in one program. */
function unknownFieldProblems(objects) {
  const dir = mkdtempSync(join(root, 'node_modules', '.k8s-validate-'));
  try {
    const lines = [];
    objects.forEach((obj, i) => {
      let iface;
      try {
        const dts = readFileSync(require.resolve(modelPath(obj)).replace(/\.js$/, '.d.ts'), 'utf8');
        iface = /export interface (I\w+) extends TypeMeta/.exec(dts)?.[1];
      } catch {
        return; // reported by the schema check
      }
      if (!iface) return;
      lines.push(`import type { ${iface} as T${i} } from '${modelPath(obj)}';`);
      lines.push(`export const o${i}: T${i} = ${JSON.stringify(obj, null, 1)};`);
    });
    const file = join(dir, 'objects.ts');
    writeFileSync(file, lines.join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    const source = program.getSourceFile(file);
    const byObject = new Map();
    for (const d of ts.getPreEmitDiagnostics(program, source)) {
      if (d.file !== source || d.start === undefined) continue;
      // Which object: the nearest `export const o<i>` above the error.
      const before = source.text.slice(0, d.start);
      const match = [...before.matchAll(/export const o(\d+)/g)].pop();
      const index = match ? Number(match[1]) : -1;
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const unknown =
        /Object literal may only specify known properties, and '([^']+)' does not exist in type '([^']+)'/.exec(
          text,
        );
      const message = unknown
        ? `unknown field ${unknown[1].replace(/^"|"$/g, '')} (not in ${unknown[2]})`
        : text.split('\n').pop();
      const list = byObject.get(index) ?? [];
      list.push(message);
      byObject.set(index, list);
    }
    return byObject;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function quantityMiB(q) {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi)?$/.exec(String(q ?? ''));
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'Gi' ? n * 1024 : m[2] === 'Ki' ? n / 1024 : m[2] === 'Mi' ? n : n / 1048576;
}

/** 3. The project's rules for its own Deployments. */
function ruleProblems(obj) {
  if (obj.kind !== 'Deployment') return [];
  const out = [];
  const component = obj.metadata?.labels?.['app.kubernetes.io/component'];
  const pod = obj.spec?.template?.spec ?? {};
  if (pod.securityContext?.runAsNonRoot !== true) out.push('pod must set runAsNonRoot: true');
  for (const c of pod.containers ?? []) {
    const where = `container ${c.name}`;
    if (c.readinessProbe?.httpGet?.path !== '/readyz')
      out.push(`${where}: readiness probe must be GET /readyz`);
    if (c.livenessProbe?.httpGet?.path !== '/healthz')
      out.push(`${where}: liveness probe must be GET /healthz`);
    if (c.securityContext?.readOnlyRootFilesystem !== true)
      out.push(`${where}: readOnlyRootFilesystem must be true`);
    if (c.securityContext?.allowPrivilegeEscalation !== false)
      out.push(`${where}: allowPrivilegeEscalation must be false`);
    const request = quantityMiB(c.resources?.requests?.memory);
    const limit = quantityMiB(c.resources?.limits?.memory);
    if (request === undefined || limit === undefined) {
      out.push(`${where}: memory request and limit are required`);
      continue;
    }
    if (request > limit) out.push(`${where}: memory request above the limit`);
    const heap = /--max-old-space-size=(\d+)/.exec(
      (c.env ?? []).find((e) => e.name === 'NODE_OPTIONS')?.value ?? '',
    );
    if (!heap) out.push(`${where}: NODE_OPTIONS must cap the heap (--max-old-space-size)`);
    else if (Number(heap[1]) + 192 > limit) {
      out.push(
        `${where}: heap cap ${heap[1]} MiB leaves under 192 MiB of the ${limit} MiB limit for the rest of the process`,
      );
    }
    if (
      CONFIG_STORE_REQUIRED &&
      (c.env ?? []).find((e) => e.name === 'CONFIG_STORE')?.value !== 'redis'
    ) {
      out.push(`${where}: CONFIG_STORE must be redis (pods share no volume)`);
    }
  }
  const drain = DRAIN_SECONDS[component];
  if (drain !== undefined) {
    const main = (pod.containers ?? [])[0] ?? {};
    const preStop = main.lifecycle?.preStop;
    const sleep = Number(
      preStop?.exec?.command?.[0] === 'sleep'
        ? preStop.exec.command[1]
        : (preStop?.sleep?.seconds ?? 0),
    );
    if (component === 'gateway' && !preStop)
      out.push('gateway: a preStop hook must hold the pod while it leaves the Service');
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (grace <= sleep + drain) {
      out.push(
        `${component}: terminationGracePeriodSeconds ${grace} must exceed preStop ${sleep} s + drain ${drain} s`,
      );
    }
  }
  return out;
}

const CONFIG_STORE_REQUIRED = true;

function describe(obj) {
  return `${obj?.kind ?? '?'}/${obj?.metadata?.name ?? '?'}`;
}

function check(label, yamlText) {
  const docs = YAML.parseAllDocuments(yamlText);
  const objects = [];
  const problems = [];
  for (const doc of docs) {
    if (doc.errors.length) {
      problems.push({ object: '(yaml)', message: doc.errors.map((e) => e.message).join('; ') });
      continue;
    }
    const obj = doc.toJS();
    if (obj) objects.push(obj);
  }
  const unknown = unknownFieldProblems(objects);
  objects.forEach((obj, i) => {
    for (const message of [
      ...schemaProblems(obj),
      ...(unknown.get(i) ?? []),
      ...ruleProblems(obj),
    ]) {
      problems.push({ object: describe(obj), message });
    }
  });
  return { target: label, objects: objects.map(describe), problems };
}

let reports;
try {
  reports = values.rendered
    ? [check(values.rendered, readFileSync(values.rendered, 'utf8'))]
    : TARGETS.map((t) => check(t, render(t)));
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
const failed = reports.some((r) => r.problems.length > 0);
if (values.json) {
  process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
} else {
  for (const r of reports) {
    process.stdout.write(`${r.target}: ${r.objects.length} objects\n`);
    for (const p of r.problems) process.stdout.write(`  ✗ ${p.object}: ${p.message}\n`);
    if (r.problems.length === 0) process.stdout.write(`  ✓ ${r.objects.join(', ')}\n`);
  }
}
process.exit(failed ? 1 : 0);
