/**
 * Compiles the worker to JavaScript: `npm run build` writes `dist/` (or `--out <dir>`), the layout of
 * the sources with `.js` files (relative imports rewritten from `.ts`) and the files the code reads at
 * run time (the console's static app, the KServe proto, JSON schemas) copied beside them. The container
 * image runs this output: Node's TypeScript type stripping then never loads (its WebAssembly stripper
 * costs every process that runs `.ts` files about 18 MB of RSS), and start-up skips the stripping.
 * `npm start`, the tests and the benchmarks run the TypeScript sources directly.
 *
 *   node scripts/build.ts [--out dist]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const { values } = parseArgs({ options: { out: { type: 'string', default: 'dist' } } });
const out = resolve(root, values.out);
/** The source folders the worker is made of: what tsconfig.build.json compiles. */
const SOURCES = (JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include;

rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'inherit' });

let assets = 0;
for (const folder of SOURCES) assets += copyAssets(join(root, folder));
process.stdout.write(`built ${relative(root, out) || '.'}: compiled ${SOURCES.join(', ')}; ${assets} other files copied\n`);

/** Copies every file that is not TypeScript from `dir` (recursively) to the same place under `out`. */
function copyAssets(dir: string): number {
  let copied = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copied += copyAssets(path);
    else if (entry.isFile() && !entry.name.endsWith('.ts')) {
      const target = join(out, relative(root, path));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(path, target);
      copied++;
    }
  }
  return copied;
}
