import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateFiles, type ValidateIo } from '../../../services/cli/validate.ts';

const root = new URL('../../../', import.meta.url);
const INVALID = 'config/examples/invalid.yaml';
const VALID = 'config/examples/json-orders.yaml';

function run(paths: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: ValidateIo = {
    env,
    readFile: (path) => files[path] ?? readFileSync(new URL(path, root), 'utf8'),
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
  };
  const code = validateFiles(paths, io);
  return { code, stdout: out.join(''), stderr: err.join('').split('\n').filter(Boolean) };
}

describe('validateFiles', () => {
  it('lists every deliberate problem of the invalid example, each with file and path', () => {
    const { code, stdout, stderr } = run([INVALID]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.sort()).toEqual(
      [
        `${INVALID}: deadLetter: required (expected object)`,
        `${INVALID}: inference.backend.url: environment variable MODEL_URL is not set`,
        `${INVALID}: inference.retry.attempts: Too small: expected number to be >=1`,
        `${INVALID}: inference.timeout: invalid duration "2 seconds" (use e.g. 250ms, 5s, 1m)`,
        `${INVALID}: name: lower-case letters, digits, dot, dash and underscore; at most 100 characters`,
        `${INVALID}: source.brokers.0: expected host:port`,
        `${INVALID}: source.fromBegining: unknown key`,
      ].sort(),
    );
  });

  it('checks decoder options once the schema passes (the malformed idPath)', () => {
    const fixed = readFileSync(new URL(INVALID, root), 'utf8')
      .replace('Case Priority', 'case-priority')
      .replace('[localhost]', '["localhost:9092"]')
      .replace('  fromBegining: true', '')
      .replace('2 seconds', '2s')
      .replace('attempts: 0', 'attempts: 1')
      .concat('deadLetter: { kind: kafka, brokers: ["localhost:9092"], topic: dlq }\n');
    const { code, stderr } = run(['fixed.yaml'], { MODEL_URL: 'http://m:8000' }, { 'fixed.yaml': fixed });
    expect(code).toBe(1);
    expect(stderr).toEqual(['fixed.yaml: decode.idPath: empty segment in path "payload..Id"']);
  });

  it('accepts the valid example when its environment is set, and says ok', () => {
    const { code, stdout, stderr } = run([VALID], { KAFKA_BROKERS: 'localhost:9092' });
    expect([code, stdout, stderr]).toEqual([0, `ok ${VALID}\n`, []]);
  });

  it('validates every file, reporting missing ones, and fails if any fails', () => {
    const { code, stdout, stderr } = run([VALID, 'config/examples/nope.yaml'], { KAFKA_BROKERS: 'localhost:9092' });
    expect(code).toBe(1);
    expect(stdout).toBe(`ok ${VALID}\n`);
    expect(stderr).toEqual(['config/examples/nope.yaml: cannot read file (ENOENT)']);
  });

  it('lists each problem once: the three TLS files of the Triton example that this machine lacks', () => {
    const file = 'config/backends/triton-grpc-batched.yaml';
    const { code, stderr } = run([file]);
    expect(code).toBe(1);
    expect(stderr).toEqual([
      `${file}: inference.backend.tls.ca: cannot read file /etc/modelbridge/tls/ca.pem (ENOENT)`,
      `${file}: inference.backend.tls.cert: cannot read file /etc/modelbridge/tls/client.pem (ENOENT)`,
      `${file}: inference.backend.tls.key: cannot read file /etc/modelbridge/tls/client-key.pem (ENOENT)`,
    ]);
  });

  it('exits 2 without files', () => {
    expect(run([]).code).toBe(2);
  });
});

describe('validateFiles: mappings', () => {
  it('compiles every JSONata mapping and lists each expression that does not compile', () => {
    const file = 'bad-mapping.yaml';
    const yaml = [
      'name: bad-mapping',
      'source: { kind: memory, stream: in }',
      'inference:',
      "  backend: { kind: kserve-http, url: 'http://127.0.0.1:8000', model: m }",
      '  request:',
      '    inputs:',
      "      TEXT: '$uppercase(data.text'",
      "      OK: '$lowercase(data.text)'",
      '  response:',
      "    out: 'outputs.X[0]'",
      "    bad: 'outputs[[['",
      'sink: { kind: memory, stream: out }',
      'deadLetter: { kind: memory, stream: dlq }',
    ].join('\n');
    const { code, stderr } = run([file], {}, { [file]: yaml });
    expect(code).toBe(1);
    expect(stderr).toHaveLength(2);
    expect(stderr[0]).toMatch(/^bad-mapping\.yaml: inference\.request\.inputs\.TEXT: invalid expression: /);
    expect(stderr[1]).toMatch(/^bad-mapping\.yaml: inference\.response\.bad: invalid expression: /);
  });
});
