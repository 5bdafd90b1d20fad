/**
 * The layering rules of eslint.config.js, each shown failing on a deliberate violation. The project's
 * own config is used; only type-aware linting is switched off, since the snippets are not on disk.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const eslint = new ESLint({
  cwd: ROOT,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${filePath}` });
  return (result?.messages ?? []).map((message) => message.ruleId ?? `parse: ${message.message}`);
}

describe('layering rules', () => {
  it.each(['kafkajs', 'amqplib', '@grpc/grpc-js'])('services/worker may not import %s', async (library) => {
    expect(await ruleIds('services/worker/new-step.ts', `import * as lib from '${library}';\nexport const used = lib;\n`)).toEqual([
      '@typescript-eslint/no-restricted-imports',
    ]);
  });

  it('the rest of services/ may (the model server speaks gRPC)', async () => {
    expect(await ruleIds('services/model-server/new-route.ts', "import * as grpc from '@grpc/grpc-js';\nexport const used = grpc;\n")).toEqual([]);
  });

  it('connectors/ may not import services/', async () => {
    const code = "import { createWorker } from '../../services/worker/worker.ts';\nexport const used = createWorker;\n";
    expect(await ruleIds('connectors/kafka/new-part.ts', code)).toEqual(['@typescript-eslint/no-restricted-imports']);
  });

  it('schemas/ may import neither connectors/ nor services/', async () => {
    expect(await ruleIds('schemas/new-contract.ts', "import type { Source } from '../connectors/types.ts';\nexport type S = Source;\n")).toEqual([
      '@typescript-eslint/no-restricted-imports',
    ]);
    expect(await ruleIds('schemas/new-contract.ts', "import type { Worker } from '../services/worker/worker.ts';\nexport type W = Worker;\n")).toEqual([
      '@typescript-eslint/no-restricted-imports',
    ]);
  });

  it.each(['bench/lib/new-tool.ts', 'scripts/new-script.ts'])('%s may not import test helpers', async (file) => {
    expect(await ruleIds(file, "import { waitFor } from '../../test/support/wait-for.ts';\nexport const used = waitFor;\n")).toEqual([
      '@typescript-eslint/no-restricted-imports',
    ]);
  });

  it('an import cycle fails: fate.ts importing the connector that (through inference and the guarded backend) imports it', async () => {
    const fate = readFileSync(`${ROOT}services/worker/fate.ts`, 'utf8');
    const code = `${fate}\nimport { createConnector } from './connector.ts';\nexport const used = createConnector;\n`;
    expect(await ruleIds('services/worker/fate.ts', code)).toContain('import-x/no-cycle');
  });

  it('the tree as it is passes the same rules', async () => {
    const fate = readFileSync(`${ROOT}services/worker/fate.ts`, 'utf8');
    expect(await ruleIds('services/worker/fate.ts', fate)).toEqual([]);
  });
});
