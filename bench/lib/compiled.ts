/**
 * The worker as the container image runs it: compiled to JavaScript by `scripts/build.ts` (no
 * TypeScript stripping in the process), with the allocation probe compiled beside it so that the probe
 * does not load the stripper either. Built once per checkout and bench run, under node_modules/.cache
 * (packages resolve from there).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

export interface CompiledWorker {
  /** `services/cli/main.js` of the build. */
  readonly main: string;
  /** Node flags that preload the compiled allocation probe. */
  readonly probeArgs: readonly string[];
}

const built = new Map<string, CompiledWorker>();

/** Builds checkout `root` (default: this one) once; later calls return the same build. */
export function compiledWorker(root = '.'): CompiledWorker {
  const dir = resolve(root);
  let worker = built.get(dir);
  if (worker) return worker;
  const out = join(dir, 'node_modules', '.cache', 'modelbridge-bench-build');
  execFileSync(process.execPath, [join(dir, 'scripts', 'build.ts'), '--out', out], { cwd: dir, stdio: 'pipe' });
  const probeDir = join(out, 'bench-probe');
  mkdirSync(probeDir, { recursive: true });
  const here = resolve(import.meta.dirname);
  for (const name of ['alloc-probe', 'heap-allocations']) {
    const { outputText } = ts.transpileModule(readFileSync(join(here, `${name}.ts`), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, rewriteRelativeImportExtensions: true, verbatimModuleSyntax: true },
    });
    writeFileSync(join(probeDir, `${name}.js`), outputText);
  }
  // With stripping off, a `.ts` file left on any path the worker loads fails it instead of loading the stripper.
  worker = { main: join(out, 'services', 'cli', 'main.js'), probeArgs: ['--no-experimental-strip-types', '--import', join(probeDir, 'alloc-probe.js')] };
  built.set(dir, worker);
  return worker;
}
