import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_VARS } from '@pipeline/infra/env';
import { kafkaVars, schemaRegistryVars } from '@pipeline/shared';
import { allTopics } from '@pipeline/topology';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { ZodType } from 'zod';
import { apiVars } from '../services/api/src/config.js';
import { consoleVars } from '../services/console/src/config.js';
import { decisionVars } from '../services/decision/src/config.js';
import { experimentsVars } from '../services/experiments/src/config.js';
import { featuresVars } from '../services/features/src/config.js';
import { monitorVars, retrainVars } from '../services/monitor/src/config.js';
import { scorerVars } from '../services/scorer/src/config.js';
import { sinkVars } from '../services/sink/src/config.js';

/**
 * The deployment files against what the code reads: every variable they set is one the workload
 * parses (and the README documents), every variable it needs without a default is set, the probes
 * hit the health server's paths on HTTP_PORT, and no Deployment runs more instances than the
 * partitions of its input topics. The schema checks are deploy/validate.sh's.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const kubernetesDir = join(root, 'deploy', 'kubernetes');

type Shape = Record<string, ZodType>;

/** What each workload parses, by the name the manifests and docker-compose give it. */
const workloads: Record<string, Shape> = {
  features: featuresVars,
  scorer: scorerVars,
  decision: decisionVars,
  api: apiVars,
  sink: sinkVars,
  monitor: monitorVars,
  retrain: retrainVars,
  experiments: experimentsVars,
  console: consoleVars,
  // topology/scripts/apply.ts: Kafka and the registry, and all four server variables or none.
  topology: {
    ...kafkaVars,
    ...schemaRegistryVars,
    ...Object.fromEntries(SERVER_VARS.map((name) => [name, kafkaVars.KAFKA_BROKERS])),
  },
};

/** Read by the OpenTelemetry SDK itself (README, Configuration), not by a service's parser. */
const sdkVars = new Set(['OTEL_SDK_DISABLED', 'OTEL_EXPORTER_OTLP_ENDPOINT']);

const required = (shape: Shape) => Object.keys(shape).filter((name) => !shape[name]?.safeParse(undefined).success);

const readmeOf = (workload: string) => {
  const own = workload === 'retrain' ? 'monitor' : workload;
  const files = [join(root, 'README.md')];
  if (own !== 'topology') files.push(join(root, 'services', own, 'README.md'));
  return files.map((file) => readFileSync(file, 'utf8')).join('\n');
};

/**
 * Problems with the variables a workload is given (`set` for it alone, `shared` with others, such as
 * a ConfigMap taken whole); empty when all is well.
 */
function envProblems(workload: string, set: string[], shared: string[] = []): string[] {
  const shape = workloads[workload];
  if (!shape) return [`${workload}: no such workload`];
  const readme = readmeOf(workload);
  const problems: string[] = [];
  for (const name of set) {
    if (sdkVars.has(name)) continue;
    if (!(name in shape)) problems.push(`${workload}: ${name} is not read by it`);
    else if (!readme.includes(`\`${name}\``)) problems.push(`${workload}: ${name} is not in its README`);
  }
  for (const name of required(shape)) {
    if (!set.includes(name) && !shared.includes(name)) problems.push(`${workload}: ${name} is required and not set`);
  }
  return problems;
}

/** Max partitions over the topics the workload consumes: more instances than that have nothing to read. */
function maxInstances(workload: string): number {
  const inputs = allTopics.filter((t) => (t.consumers as readonly string[]).includes(workload));
  return Math.max(0, ...inputs.map((t) => t.partitions));
}

// ---------------------------------------------------------------------------------------------------

interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
}
interface Resource {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { replicas?: number; template?: { spec: PodSpec } };
}

const kustomization = parse(readFileSync(join(kubernetesDir, 'kustomization.yaml'), 'utf8')) as {
  resources: string[];
  images: { name: string }[];
};
const resources: Resource[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(kubernetesDir, file), 'utf8')).map((doc) => doc.toJS() as Resource),
);
const configMaps = new Map(resources.filter((r) => r.kind === 'ConfigMap').map((r) => [r.metadata.name, r.data ?? {}]));
const deployments = resources.filter((r) => r.kind === 'Deployment');
const jobs = resources.filter((r) => r.kind === 'Job');

/** The keys of the ConfigMaps a container takes whole. */
const fromConfigMaps = (container: Container): string[] =>
  (container.envFrom ?? []).flatMap((source) =>
    source.configMapRef ? Object.keys(configMaps.get(source.configMapRef.name) ?? {}) : [],
  );

const workloadOf = (r: Resource) => (r.metadata.name === 'topology-apply' ? 'topology' : r.metadata.name);
const firstContainer = (r: Resource) => r.spec?.template?.spec.containers[0];

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it('lists every manifest of the folder in kustomization.yaml', () => {
    const files = readdirSync(kubernetesDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('has a Deployment for every service, and a Job applying the topology', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(
      Object.keys(workloads)
        .filter((w) => w !== 'topology')
        .sort(),
    );
    const topology = jobs.find((j) => j.metadata.name === 'topology-apply');
    expect(topology?.spec?.template?.spec.containers[0]?.command).toEqual([
      'node_modules/.bin/tsx',
      'topology/scripts/apply.ts',
    ]);
  });

  const configured = [...deployments, ...jobs.filter((j) => j.metadata.name === 'topology-apply')];

  it('gives each workload only variables it reads and its README documents, and all it requires', () => {
    const problems = configured.flatMap((r) => {
      const container = firstContainer(r);
      if (!container) return [`${r.metadata.name}: no container`];
      return envProblems(
        workloadOf(r),
        (container.env ?? []).map((e) => e.name),
        fromConfigMaps(container),
      );
    });
    expect(problems).toEqual([]);
  });

  it('shares in a ConfigMap only variables some workload taking it reads, under the README names', () => {
    for (const [name, data] of configMaps) {
      const takers = configured.filter((r) =>
        firstContainer(r)?.envFrom?.some((source) => source.configMapRef?.name === name),
      );
      expect(takers.length, name).toBeGreaterThan(0);
      for (const key of Object.keys(data)) {
        const readers = takers.filter((r) => key in (workloads[workloadOf(r)] ?? {}));
        expect(readers.length, `${name}.${key}`).toBeGreaterThan(0);
        expect(readmeOf('topology'), key).toContain(`\`${key}\``);
      }
    }
  });

  it("gives each workload its own principal's credentials Secret, required, and no other's", () => {
    const withCredentials = [...deployments, ...jobs.filter((j) => j.metadata.name === 'topology-apply')];
    expect(withCredentials.length).toBe(Object.keys(workloads).length);
    for (const r of resources.filter((x) => x.spec?.template)) {
      const own = `pipeline-${workloadOf(r)}-credentials`;
      const spec = r.spec?.template?.spec as PodSpec;
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        const secrets = [
          ...(c.envFrom ?? []).flatMap((source) => (source.secretRef ? [source.secretRef.name] : [])),
          ...(c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
        ];
        // pipeline-http-auth holds token hashes and the probe's token, no server credentials.
        for (const name of secrets) {
          if (name !== 'pipeline-http-auth') expect(name, `${r.metadata.name}/${c.name}`).toBe(own);
        }
      }
    }
    for (const r of withCredentials) {
      const container = firstContainer(r) as Container;
      expect(
        container.envFrom?.find((source) => source.secretRef),
        r.metadata.name,
      ).toEqual({
        secretRef: { name: `pipeline-${workloadOf(r)}-credentials` },
      });
    }
  });

  it('runs each service as itself, from the one image built by ./Dockerfile', () => {
    for (const d of deployments) {
      const [container] = d.spec?.template?.spec.containers ?? [];
      const name = d.metadata.name;
      const main = name === 'retrain' ? 'services/monitor/dist/retrain-main.js' : `services/${name}/dist/main.js`;
      expect(container?.command, name).toEqual(['node', '--conditions=pipeline-dist', main]);
      expect(container?.env?.find((e) => e.name === 'SERVICE_NAME')?.value, name).toBe(name);
      expect(container?.image, name).toBe(name === 'retrain' ? 'decision-pipeline-retrain' : 'decision-pipeline');
    }
    expect(kustomization.images.map((i) => i.name).sort()).toEqual(['decision-pipeline', 'decision-pipeline-retrain']);
    // decision-pipeline-retrain is `docker build --target retrain` (docs/deploy.md).
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toMatch(/^FROM pipeline AS retrain$/m);
  });

  it('probes /health/live, and /health/ready with the probe token, on the port HTTP_PORT names', () => {
    for (const d of deployments) {
      const [container] = d.spec?.template?.spec.containers ?? [];
      const httpPort = Number(container?.env?.find((e) => e.name === 'HTTP_PORT')?.value);
      expect(httpPort, d.metadata.name).toBeGreaterThan(0);
      expect(container?.ports?.find((p) => p.name === 'http')?.containerPort, d.metadata.name).toBe(httpPort);
      expect(container?.startupProbe?.httpGet, d.metadata.name).toEqual({ path: '/health/live', port: 'http' });
      expect(container?.livenessProbe?.httpGet, d.metadata.name).toEqual({ path: '/health/live', port: 'http' });
      // Readiness needs a token (liveness is the one open path): node asks with the mounted probe token.
      const ready = container?.readinessProbe?.exec?.command ?? [];
      expect(ready.slice(0, 2), d.metadata.name).toEqual(['node', '-e']);
      expect(ready[2], d.metadata.name).toContain(`fetch('http://127.0.0.1:${httpPort}/health/ready'`);
      expect(ready[2], d.metadata.name).toContain("authorization:'Bearer '+t");
      expect(ready[2], d.metadata.name).toContain('/var/run/secrets/pipeline-http-auth/probe-token');
    }
  });

  it('runs no more instances than the partitions of the input topics (one where nothing is partitioned)', () => {
    for (const d of deployments) {
      const bound = d.metadata.name === 'retrain' ? 1 : maxInstances(d.metadata.name) || 1;
      expect(d.spec?.replicas, d.metadata.name).toBeGreaterThanOrEqual(1);
      expect(d.spec?.replicas, d.metadata.name).toBeLessThanOrEqual(bound);
    }
    expect(maxInstances('features')).toBe(6);
    expect(maxInstances('monitor')).toBe(0);
  });

  it('sets requests and limits of CPU and memory on every container', () => {
    for (const r of [...deployments, ...jobs]) {
      const spec = r.spec?.template?.spec;
      for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
        for (const kind of ['requests', 'limits'] as const) {
          expect(Object.keys(c.resources?.[kind] ?? {}).sort(), `${r.metadata.name}/${c.name} ${kind}`).toEqual([
            'cpu',
            'memory',
          ]);
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  ports?: string[];
  command?: string[];
  environment?: Record<string, string | number>;
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

describe('docker-compose.yml', () => {
  it('gives each pipeline service only variables it reads and its README documents, and all it requires', () => {
    const problems = Object.entries(compose.services)
      .filter(([name]) => name in workloads)
      .flatMap(([name, service]) => envProblems(name, Object.keys(service.environment ?? {})));
    expect(problems).toEqual([]);
  });

  it('runs every pipeline service compiled, under its own name', () => {
    const pipeline = Object.keys(compose.services).filter((name) => name in workloads && name !== 'topology');
    expect(pipeline.sort()).toEqual(
      Object.keys(workloads)
        .filter((w) => w !== 'topology')
        .sort(),
    );
    for (const name of pipeline) {
      const service = compose.services[name] as ComposeService;
      const main = name === 'retrain' ? 'services/monitor/dist/retrain-main.js' : `services/${name}/dist/main.js`;
      expect(service.command).toEqual(['node', '--conditions=pipeline-dist', main]);
      expect(service.environment?.SERVICE_NAME).toBe(name);
      expect(service.image).toBe(name === 'retrain' ? 'decision-pipeline-retrain:local' : 'decision-pipeline:local');
    }
  });

  it('publishes each host port once', () => {
    const owners = new Map<string, string[]>();
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mapping of service.ports ?? []) {
        const host = String(mapping).split(':').slice(0, -1).join(':');
        owners.set(host, [...(owners.get(host) ?? []), name]);
      }
    }
    expect([...owners].filter(([, names]) => names.length > 1)).toEqual([]);
  });
});
