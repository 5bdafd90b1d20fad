/**
 * What can be checked of the deployment files without a Docker engine: Prometheus config and alert
 * rules with promtool, and docker-compose.yml's references to files and configs of this repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadConnectorConfig } from '../../schemas/load-config.ts';

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { encoding: 'utf8' });
  if (result.error) throw new Error('promtool is not installed (Debian package "prometheus"); npm test installs it in its pretest step', { cause: result.error });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('deploy/prometheus', () => {
  it('alert rules pass promtool', () => {
    const { status, output } = promtool('check', 'rules', 'deploy/prometheus/alerts.yml');
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(status).toBe(0);
  });

  it('the scrape config passes promtool', () => {
    const { status, output } = promtool('check', 'config', 'deploy/prometheus/prometheus.yml');
    expect(output).toContain('SUCCESS');
    expect(status).toBe(0);
  });

  it('alert rules only use metrics the worker exports', () => {
    const exported = readFileSync('services/worker/metrics.ts', 'utf8').match(/modelbridge_[a-z_]+/g) ?? [];
    const used = readFileSync('deploy/prometheus/alerts.yml', 'utf8').match(/modelbridge_[a-z_]+/g) ?? [];
    expect(used.length).toBeGreaterThan(0);
    for (const metric of used) expect(exported, metric).toContain(metric);
  });
});

describe('deploy/grafana', () => {
  const dashboard = JSON.parse(readFileSync('deploy/grafana/dashboards/modelbridge.json', 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };

  it('every dashboard query uses metrics the worker exports', () => {
    const exported = new Set(readFileSync('services/worker/metrics.ts', 'utf8').match(/modelbridge_[a-z_]+/g) ?? []);
    const histogramSuffix = /_(bucket|sum|count)$/;
    expect(dashboard.panels.length).toBeGreaterThan(5);
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const used = target.expr.match(/modelbridge_[a-z_]+/g) ?? [];
        expect(used.length, panel.title).toBeGreaterThan(0);
        for (const metric of used) expect(exported.has(metric.replace(histogramSuffix, '')), `${panel.title}: ${metric}`).toBe(true);
      }
    }
  });

  it('every dashboard query parses as PromQL (as recording rules checked by promtool)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mb-promql-'));
    try {
      const rules = dashboard.panels.flatMap((panel, i) => panel.targets.map((target, j) => ({ record: `dashboard:panel${i}_${j}`, expr: target.expr })));
      const file = join(dir, 'dashboard-rules.yml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const { status, output } = promtool('check', 'rules', file);
      expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[]; volumes?: string[]; build?: string; image?: string; environment?: Record<string, string> }>;
  };

  it('every service has an image or a build, and mounted files exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image ?? service.build, name).toBeTruthy();
      for (const volume of service.volumes ?? []) expect(existsSync(volume.split(':')[0]!), volume).toBe(true);
    }
  });

  it('worker configs exist and validate with the compose environment', () => {
    const workers = Object.entries(compose.services).filter(([name]) => name.startsWith('worker-'));
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
});
