/**
 * What can be checked of docker-compose.yml, the image and the collector without a Docker engine:
 * the Compose specification's JSON schema (as shipped by the npm package dclint, which also lints the
 * file), the files and configs the services use, the OpenTelemetry collector's pipelines and
 * addresses, and the Dockerfile's promises (production dependencies, non-root, HEALTHCHECK).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConnectorConfig } from '../../schemas/load-config.ts';

interface Service {
  command?: string[];
  volumes?: string[];
  build?: string;
  image?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const text = readFileSync('docker-compose.yml', 'utf8');
const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** The Compose specification's schema (compose-spec/compose-spec, schema/compose-spec.json) as dclint ships it. */
const COMPOSE_SCHEMA = join('node_modules', 'dclint', 'schemas', 'compose.schema.json');
// Draft 07, named by an https URL Ajv does not know as its draft-07 meta-schema: compiled as draft 07.
const { $schema: _draft, ...composeSchema } = JSON.parse(readFileSync(COMPOSE_SCHEMA, 'utf8')) as { $schema: string };
const validateCompose = new Ajv({ allErrors: true, strict: false }).compile(composeSchema);

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    expect(validateCompose(compose), JSON.stringify(validateCompose.errors)).toBe(true);
  });

  it('the schema check has teeth: a misspelt key and a wrong type are refused', () => {
    const broken = { ...compose, services: { ...services, jaeger: { ...services.jaeger, portz: ['1:1'] }, grafana: { ...services.grafana, restart: 3 } } };
    expect(validateCompose(broken)).toBe(false);
    expect(validateCompose.errors?.map((e) => e.instancePath)).toEqual(expect.arrayContaining(['/services/jaeger', '/services/grafana/restart']));
  });

  it('passes dclint (errors only: style warnings such as key order are not checked)', () => {
    const result = spawnSync(process.execPath, ['node_modules/dclint/bin/dclint.cjs', 'docker-compose.yml', '--quiet', '--color', 'false'], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  it('every service has an image or a build, mounted files exist, ports are published on 127.0.0.1', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image ?? service.build, name).toBeTruthy();
      for (const volume of service.volumes ?? []) expect(existsSync(volume.split(':')[0]!), volume).toBe(true);
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('worker configs exist and validate with the compose environment', () => {
    const workers = Object.entries(services).filter(([name]) => name.startsWith('worker-'));
    expect(workers.length).toBeGreaterThanOrEqual(2);
    for (const [, service] of workers) {
      const file = service.command![service.command!.indexOf('--config') + 1]!;
      const config = loadConnectorConfig(readFileSync(file, 'utf8'), {
        file,
        env: service.environment ?? {},
        readFile: (path) => readFileSync(path, 'utf8'),
      });
      // Loading validated it against the schema (it throws otherwise) and compiled its mappings.
      expect(config.mappings.primary).toBeDefined();
    }
  });

  it('has Keycloak, an OpenTelemetry collector and Jaeger; workers send OTLP to the collector under their own service name', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['keycloak', 'otel-collector', 'jaeger', 'prometheus', 'grafana']));
    for (const [name, service] of Object.entries(services).filter(([n]) => n.startsWith('worker-'))) {
      expect(service.environment).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SERVICE_NAME: name });
      expect(service.depends_on?.['otel-collector']).toBeDefined();
      expect(service.depends_on?.['model-server']).toEqual({ condition: 'service_healthy' });
    }
    expect(services['model-server']!.healthcheck?.test.join(' ')).toContain('/v2/health/ready');
  });
});

describe('deploy/otel/collector.yaml', () => {
  type Components = Record<string, Record<string, unknown> | null>;
  const collector = parse(readFileSync('deploy/otel/collector.yaml', 'utf8')) as {
    receivers: Components;
    processors: Components;
    exporters: Components;
    extensions?: Components;
    service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
  };
  const collectorService = services['otel-collector']!;

  it('is the file the collector service mounts and starts with', () => {
    const mount = collectorService.volumes!.find((v) => v.startsWith('./deploy/otel/collector.yaml:'))!;
    expect(collectorService.command).toContain(`--config=${mount.split(':')[1]}`);
  });

  it('every pipeline uses defined components only, and every defined component is used', () => {
    const pipelines = Object.entries(collector.service.pipelines);
    expect(pipelines.map(([name]) => name)).toContain('traces');
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      const defined = Object.keys(collector[kind]);
      const used = new Set(pipelines.flatMap(([, pipeline]) => pipeline[kind] ?? []));
      for (const name of used) expect(defined, `${kind}: ${name}`).toContain(name);
      for (const name of defined) expect(used.has(name), `${kind}: ${name} is defined but unused`).toBe(true);
    }
    // Component ids are type[/name]; only types of the core collector distribution.
    const types = (kind: 'receivers' | 'processors' | 'exporters'): string[] => Object.keys(collector[kind]).map((id) => id.split('/')[0]!);
    expect(types('receivers')).toEqual(['otlp']);
    expect(types('processors').sort()).toEqual(['batch', 'memory_limiter']);
    expect(types('exporters')).toEqual(['otlp']);
    // memory_limiter must come first in a pipeline.
    for (const [, pipeline] of pipelines) expect(pipeline.processors?.[0]).toBe('memory_limiter');
  });

  it('receives OTLP over gRPC and HTTP on the published ports, and exports to Jaeger’s OTLP port on the compose network', () => {
    const otlp = collector.receivers.otlp as { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } };
    expect(otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
    expect(collectorService.ports).toEqual(['127.0.0.1:4317:4317', '127.0.0.1:4318:4318']);
    for (const exporter of Object.values(collector.exporters)) {
      const [host, port] = (exporter as { endpoint: string }).endpoint.split(':');
      expect(Object.keys(services)).toContain(host);
      expect(port).toBe('4317');
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));

  it('compiles in a build stage; the image has production dependencies and the compiled code only, runs as a non-root user with a HEALTHCHECK', () => {
    const stages = instructions.map((l, i) => (l.startsWith('FROM ') ? i : -1)).filter((i) => i >= 0);
    expect(stages).toHaveLength(2);
    const build = instructions.slice(stages[0], stages[1]);
    const image = instructions.slice(stages[1]);
    expect(build[0]).toBe('FROM node:24-slim AS build');
    expect(build.find((l) => l.startsWith('RUN node scripts/build.ts'))).toBeDefined();
    expect(image[0]).toBe('FROM node:24-slim');
    expect(image.find((l) => l.startsWith('RUN npm ci'))).toContain('--omit=dev');
    // From the context only the package files and the configuration examples; the code comes compiled.
    const copied = image.filter((l) => l.startsWith('COPY')).map((l) => l.split(/\s+/).slice(1, -1).join(' '));
    expect(copied).toEqual(['package.json package-lock.json', '--from=build /build/dist/connectors', '--from=build /build/dist/schemas', '--from=build /build/dist/services', 'config']);
    expect(image.find((l) => l.startsWith('ENTRYPOINT'))).toBe('ENTRYPOINT ["node", "services/cli/launch.js"]');
    expect(image.find((l) => l.startsWith('USER'))).toBe('USER node');
    expect(image.findIndex((l) => l.startsWith('USER'))).toBeLessThan(image.findIndex((l) => l.startsWith('ENTRYPOINT')));
    expect(image.find((l) => l.startsWith('HEALTHCHECK'))).toContain('/healthz');
    // Every file a COPY of the build stage names is in the build context.
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', 'test', '.git', 'scripts', '!scripts/build.ts']));
    for (const line of build.filter((l) => l.startsWith('COPY'))) {
      for (const source of line.split(/\s+/).slice(1, -1)) expect(existsSync(source), source).toBe(true);
    }
  });
});
