// @ts-check
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layering, enforced: calls run one way (schemas ← connectors ← services), the pipeline knows no
 * broker or RPC library, and no module imports itself back through others. `test/lint/boundaries.test.ts`
 * shows each rule failing on a deliberate violation.
 */
const BROKER_LIBRARIES = [
  { group: ['kafkajs', 'kafkajs/*'], message: 'services/worker knows no broker library: use the Source/Sink/Delivery contracts of connectors/types.ts.' },
  { group: ['amqplib', 'amqplib/*'], message: 'services/worker knows no broker library: use the Source/Sink/Delivery contracts of connectors/types.ts.' },
  { group: ['@grpc/*'], message: 'services/worker knows no RPC library: use the InferenceClient contract of connectors/types.ts.' },
];
const NO_SERVICES = { group: ['**/services/**'], message: 'connectors/ and schemas/ never import services/: calls run from services to connectors.' };
const NO_TESTS = { group: ['**/test/**'], message: 'bench/ and scripts/ do not import test helpers: shared tools live in scripts/.' };
const NO_CONNECTORS = { group: ['**/connectors/**'], message: 'schemas/ holds the contracts every layer reads: it imports no connector.' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'bench/results/**', '.kafka/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['connectors/**/*.ts', 'services/**/*.ts', 'schemas/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
    },
    rules: {
      // Type-only imports are not followed: they are erased before run time.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['services/worker/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: BROKER_LIBRARIES }] },
  },
  {
    files: ['connectors/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_SERVICES] }] },
  },
  {
    files: ['schemas/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_SERVICES, NO_CONNECTORS] }] },
  },
  {
    files: ['bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_TESTS] }] },
  },
);
