/**
 * The Helm chart deploy/helm/modelbridge: `helm lint` and `helm template` with the three values files
 * in ci/, the rendered manifests validated against the Kubernetes, KEDA and Prometheus Operator JSON
 * schemas (kubernetes-models) and, for unknown fields, against their TypeScript types (tsc's excess
 * property checks play kubeconform's -strict), plus what the chart promises: probes, grace, security,
 * heap flags, KEDA caps, and connector YAMLs that the worker accepts with the pod's environment.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { loadConnectorConfig } from '../../schemas/load-config.ts';
import { heapFlags } from '../../services/cli/heap.ts';
import { helmInstalled, helmPath } from '../../scripts/helm.ts';

const CHART = 'deploy/helm/modelbridge';
const VALUES = ['minimal', 'production', 'keda'] as const;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface Container {
  args: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { limits?: { memory?: string } };
  securityContext: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}

interface PodSpec {
  terminationGracePeriodSeconds: number;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string; configMap?: { name: string }; secret?: { secretName: string } }[];
}

function helm(...args: string[]): { status: number | null; output: string; stdout: string } {
  if (!helmInstalled()) throw new Error(`helm is not installed at ${helmPath()}; npm test installs it in its pretest step (or set MODELBRIDGE_HELM)`);
  const result = spawnSync(helmPath(), args, { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, stdout: result.stdout };
}

function render(...args: string[]): Manifest[] {
  const { status, output, stdout } = helm('template', 'mb', CHART, '--namespace', 'modelbridge', ...args);
  expect(status, output).toBe(0);
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const rendered = Object.fromEntries(VALUES.map((name) => [name, render('-f', `${CHART}/ci/${name}-values.yaml`)])) as Record<(typeof VALUES)[number], Manifest[]>;
const ofKind = (manifests: Manifest[], kind: string): Manifest[] => manifests.filter((m) => m.kind === kind);
const podSpec = (deployment: Manifest): PodSpec => (deployment.spec as { template: { spec: PodSpec } }).template.spec;

/** The kubernetes-models module of a manifest's kind: its JSON-schema validator and its TypeScript interface. */
function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const pkg = group === 'keda.sh' ? '@kubernetes-models/keda' : group === 'monitoring.coreos.com' ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
  return `${pkg}/${group === '' ? version : `${group}/${version}`}/${kind}`;
}

describe('helm chart deploy/helm/modelbridge', () => {
  it.each(VALUES)('helm lint --strict passes with ci/%s-values.yaml', (name) => {
    const { status, output } = helm('lint', '--strict', CHART, '-f', `${CHART}/ci/${name}-values.yaml`);
    expect(output).toContain('0 chart(s) failed');
    expect(status).toBe(0);
  });

  it.each(VALUES)('every manifest rendered with ci/%s-values.yaml passes its Kubernetes / KEDA / Prometheus Operator JSON schema', async (name) => {
    const manifests = rendered[name];
    expect(manifests.length).toBeGreaterThan(3);
    for (const manifest of manifests) {
      const module = (await import(modelModule(manifest.apiVersion, manifest.kind))) as Record<string, new (data: unknown) => { validate(): void }>;
      const Model = module[manifest.kind];
      expect(Model, `${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
      expect(() => new Model!(manifest).validate(), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
    }
  });

  it('no rendered manifest has a field its kind does not know (tsc excess property checks on the kubernetes-models types)', () => {
    // Under node_modules so that the packages resolve; removed afterwards.
    const dir = join('node_modules', '.cache', `modelbridge-manifests-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const files: string[] = [];
      for (const name of VALUES) {
        rendered[name].forEach((manifest, i) => {
          const file = join(dir, `${name}-${i}.mts`);
          const module = modelModule(manifest.apiVersion, manifest.kind);
          writeFileSync(file, `import type { I${manifest.kind} } from '${module}';\nexport const manifest: I${manifest.kind} = ${JSON.stringify(manifest, null, 2)};\n`);
          files.push(file);
        });
      }
      const tsc = spawnSync(
        process.execPath,
        ['node_modules/typescript/bin/tsc', '--ignoreConfig', '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', ...files],
        { encoding: 'utf8' },
      );
      expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
      expect(tsc.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one Deployment, Service and PodDisruptionBudget per connector group', () => {
    const production = rendered.production;
    const names = (kind: string): string[] => ofKind(production, kind).map((m) => m.metadata.name).sort();
    expect(names('Deployment')).toEqual(['mb-modelbridge-case-sentiment', 'mb-modelbridge-complaint-sentiment']);
    expect(names('Service')).toEqual(names('Deployment'));
    expect(names('PodDisruptionBudget')).toEqual(names('Deployment'));
    expect(names('ConfigMap')).toEqual(['mb-modelbridge-admin', 'mb-modelbridge-case-sentiment-connectors', 'mb-modelbridge-complaint-sentiment-connectors']);
    expect(names('ServiceMonitor')).toEqual(['mb-modelbridge']);
    expect(names('NetworkPolicy')).toEqual(['mb-modelbridge']);
    expect(ofKind(rendered.minimal, 'ServiceMonitor')).toEqual([]);
    expect(ofKind(rendered.minimal, 'NetworkPolicy')).toEqual([]);
  });

  it('probes on /healthz and /readyz, a grace period longer than the drain, a hardened non-root pod', () => {
    for (const name of VALUES) {
      for (const deployment of ofKind(rendered[name], 'Deployment')) {
        const pod = podSpec(deployment);
        const [worker] = pod.containers;
        expect(worker!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
        expect(worker!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
        const grace = Number(/^(\d+)s$/.exec(worker!.args[worker!.args.indexOf('--grace') + 1]!)![1]);
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(grace);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
        expect(worker!.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(worker!.volumeMounts.map((m) => m.mountPath)).toContain('/tmp');
      }
    }
    const pdb = ofKind(rendered.minimal, 'PodDisruptionBudget')[0]!;
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
  });

  it('NODE_OPTIONS sizes the heap from the memory limit exactly as the launcher does from a cgroup limit', () => {
    const limits: Record<string, number> = { '256Mi': 256 * 2 ** 20, '512Mi': 512 * 2 ** 20, '1Gi': 2 ** 30, '2G': 2e9, '3Gi': 3 * 2 ** 30, '64Gi': 64 * 2 ** 30, '1048576000': 1048576000 };
    const dir = mkdtempSync(join('node_modules', '.cache', 'mb-values-'));
    try {
      const connectors = { 'c.yaml': 'name: c' };
      const groups = Object.fromEntries(Object.keys(limits).map((limit, i) => [`g${i}`, { connectors, resources: { limits: { memory: limit } } }]));
      writeFileSync(join(dir, 'values.yaml'), stringify({ groups }));
      const deployments = ofKind(render('-f', join(dir, 'values.yaml')), 'Deployment');
      expect(deployments).toHaveLength(Object.keys(limits).length);
      for (const deployment of deployments) {
        const worker = podSpec(deployment).containers[0]!;
        const limit = worker.resources.limits!.memory!;
        expect(worker.env?.find((e) => e.name === 'NODE_OPTIONS')?.value, limit).toBe(heapFlags(limits[limit]!).join(' '));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('KEDA: Kafka lag capped at the partition count, RabbitMQ queue length, replicas left to KEDA', () => {
    const scaled = ofKind(rendered.keda, 'ScaledObject');
    const byName = new Map(scaled.map((m) => [m.metadata.name, m.spec as { scaleTargetRef: { name: string }; maxReplicaCount: number; triggers: { type: string; metadata: Record<string, string> }[] }]));
    const kafka = byName.get('mb-modelbridge-case-sentiment')!;
    expect(kafka.maxReplicaCount).toBe(12); // maxReplicas 20, 12 partitions
    expect(kafka.triggers).toEqual([
      {
        type: 'kafka',
        metadata: {
          bootstrapServers: 'kafka:9092',
          consumerGroup: 'mb-case-sentiment',
          topic: 'salesforce.cdc.Case',
          lagThreshold: '1000',
          activationLagThreshold: '0',
          offsetResetPolicy: 'latest',
          allowIdleConsumers: 'false',
        },
      },
    ]);
    const rabbitmq = byName.get('mb-modelbridge-complaint-sentiment')!;
    expect(rabbitmq.maxReplicaCount).toBe(8);
    expect(rabbitmq.triggers).toEqual([{ type: 'rabbitmq', metadata: { queueName: 'sap.s4.complaints', mode: 'QueueLength', value: '500', hostFromEnv: 'AMQP_URL' } }]);
    for (const deployment of ofKind(rendered.keda, 'Deployment')) {
      expect(byName.get(deployment.metadata.name)?.scaleTargetRef.name).toBe(deployment.metadata.name);
      expect(deployment.spec).not.toHaveProperty('replicas');
      const worker = podSpec(deployment).containers[0]!;
      expect(worker.env?.map((e) => e.name)).toContain('AMQP_URL');
    }
    expect(ofKind(rendered.production, 'ScaledObject')).toEqual([]);
  });

  it.each(VALUES)('the connector YAMLs of ci/%s-values.yaml validate with their pod’s environment, secrets and mounted files', (name) => {
    const manifests = rendered[name];
    const configMaps = new Map(ofKind(manifests, 'ConfigMap').map((m) => [m.metadata.name, m.data ?? {}]));
    for (const deployment of ofKind(manifests, 'Deployment')) {
      const pod = podSpec(deployment);
      const worker = pod.containers[0]!;
      const env = Object.fromEntries((worker.env ?? []).map((e) => [e.name, e.value ?? `secret:${e.valueFrom!.secretKeyRef.name}/${e.valueFrom!.secretKeyRef.key}`]));
      const secretDirs = worker.volumeMounts.filter((m) => m.name.startsWith('secret-')).map((m) => `${m.mountPath}/`);
      const vault = deployment.spec && (deployment.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations?.['vault.hashicorp.com/agent-inject'] === 'true';
      const readFile = (path: string): string => {
        if (secretDirs.some((dir) => path.startsWith(dir))) return 'content of a mounted Secret key';
        if (vault && path.startsWith('/vault/secrets/')) return path.endsWith('amqp-url') ? 'amqps://modelbridge:pw@rabbitmq:5671' : 'rendered by the Vault agent';
        throw new Error(`${deployment.metadata.name} mounts nothing at ${path}`);
      };
      const volume = pod.volumes.find((v) => v.name === 'connectors')!;
      const data = configMaps.get(volume.configMap!.name)!;
      const files = worker.args.flatMap((arg, i) => (worker.args[i - 1] === '--config' ? [arg] : []));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const key = file.replace('/etc/modelbridge/connectors/', '');
        expect(data[key], `${deployment.metadata.name}: ${key}`).toBeDefined();
        const config = loadConnectorConfig(data[key]!, { file, env, readFile });
        // Loading validated it against the schema (it throws otherwise) and compiled its mappings.
        expect(config.mappings.primary).toBeDefined();
      }
    }
  });

  it('values.schema.json refuses values that would weaken the pod or leave a group without connectors', () => {
    const minimal = `${CHART}/ci/minimal-values.yaml`;
    for (const [set, message] of [
      ['securityContext.readOnlyRootFilesystem=false', 'readOnlyRootFilesystem'],
      ['podSecurityContext.runAsNonRoot=false', 'runAsNonRoot'],
      ['groups.empty.replicas=1', '/groups/empty'],
      ['terminationGraceMargin=0', 'terminationGraceMargin'],
      ['resources.limits.memory=1.5Gi', 'memory'],
    ] as const) {
      const { status, output } = helm('template', 'mb', CHART, '-f', minimal, '--set', set);
      expect(status, set).not.toBe(0);
      expect(output, set).toContain(message);
    }
  });

  it('a KEDA Kafka trigger without the partition count is refused', () => {
    const { status, output } = helm(
      'template', 'mb', CHART, '-f', `${CHART}/ci/minimal-values.yaml`,
      '--set', 'groups.sentiment.autoscaling.enabled=true',
      '--set', 'groups.sentiment.autoscaling.kafka.bootstrapServers=k:9092,groups.sentiment.autoscaling.kafka.topic=t,groups.sentiment.autoscaling.kafka.consumerGroup=g',
    );
    expect(status).not.toBe(0);
    expect(output).toContain('partitions');
  });
});
