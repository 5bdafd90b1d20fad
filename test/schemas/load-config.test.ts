import { describe, expect, it } from 'vitest';
import { isModelbridgeError } from '../../schemas/errors.ts';
import { ConfigError } from '../../schemas/config-error.ts';
import { loadConnectorConfig, maskSecrets, type LoadConfigOptions } from '../../schemas/load-config.ts';

const VALID = `
name: orders-priority
source: { kind: kafka, brokers: ["localhost:9092"], topic: orders, group: mb-orders }
inference:
  backend: { kind: kserve-http, url: "http://localhost:8000", model: priority }
  request: { inputs: { TEXT: data.text } }
  response: { priority: "outputs.PRIORITY[0]" }
sink: { kind: kafka, brokers: ["localhost:9092"], topic: orders.enriched }
deadLetter: { kind: kafka, brokers: ["localhost:9092"], topic: orders.dlq }
`;

const noFiles = (path: string): string => {
  throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
};

function options(overrides: Partial<LoadConfigOptions> = {}): LoadConfigOptions {
  return { env: {}, readFile: noFiles, ...overrides };
}

/** Runs the loader and returns the ConfigError it must throw. */
function failure(text: string, opts: Partial<LoadConfigOptions> = {}): ConfigError {
  try {
    loadConnectorConfig(text, options(opts));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const paths = (error: ConfigError): string[] => error.issues.map((issue) => issue.path);

/** VALID with `replacement` substituted for the first occurrence of `search`. */
const edit = (search: string, replacement: string): string => {
  expect(VALID).toContain(search);
  return VALID.replace(search, () => replacement);
};

describe('loadConnectorConfig', () => {
  it('applies defaults and returns a deeply frozen config', () => {
    const config = loadConnectorConfig(VALID, options());
    expect(config.ordering).toBe('key');
    expect(config.decode).toEqual({ format: 'cloudevents', type: 'com.modelbridge.json' });
    expect(config.inference.timeoutMs).toBe(2000);
    expect(config.inference.retry).toEqual({ attempts: 5, minDelayMs: 100, maxDelayMs: 10_000 });
    expect(config.source.kind === 'kafka' && config.source.maxMessageBytes).toBe(1_048_576);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.inference.retry)).toBe(true);
    expect(Object.isFrozen(config.source.kind === 'kafka' ? config.source.brokers : null)).toBe(true);
    expect(() => {
      (config.inference.retry as { attempts: number }).attempts = 1;
    }).toThrow(TypeError);
  });

  it('names every duration in milliseconds …Ms once parsed, while issues keep the names the file uses', () => {
    const config = loadConnectorConfig(VALID, options());
    expect(config.source.kind === 'kafka' && [config.source.commitIntervalMs, config.source.sessionTimeoutMs]).toEqual([1000, 30_000]);
    expect(config.inference.breaker).toMatchObject({ resetTimeoutMs: 5000, rollingWindowMs: 10_000 });
    expect(config.inference.batch.maxWaitMs).toBe(5);
    expect(config.inference.waitForModel).toEqual({ minDelayMs: 200, maxDelayMs: 5000 });
    expect(config.publish).toEqual({ minDelayMs: 100, maxDelayMs: 5000 });
    expect(Object.keys(config.inference)).not.toContain('timeout');
  });

  it.each([
    ['250ms', 250],
    ['5s', 5000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    ['750', undefined],
    [1200, 1200],
  ])('parses the duration %j', (input, expected) => {
    const text = edit('model: priority }', `model: priority }\n  timeout: ${JSON.stringify(input)}`);
    if (expected === undefined) {
      expect(failure(text).issues).toEqual([{ path: 'inference.timeout', message: expect.stringContaining('invalid duration') }]);
    } else {
      expect(loadConnectorConfig(text, options()).inference.timeoutMs).toBe(expected);
    }
  });

  it.each(['5 seconds', '-1s', '1d', 's', '', '1e3ms'])('rejects the bad duration %j', (input) => {
    const text = edit('model: priority }', `model: priority }\n  timeout: ${JSON.stringify(input)}`);
    expect(paths(failure(text))).toEqual(['inference.timeout']);
  });

  it('rejects negative and non-finite numeric durations', () => {
    const text = edit('model: priority }', 'model: priority }\n  timeout: -5');
    expect(paths(failure(text))).toEqual(['inference.timeout']);
    expect(paths(failure(edit('model: priority }', 'model: priority }\n  timeout: .inf')))).toEqual(['inference.timeout']);
  });

  it('rejects unknown keys at every level, naming each key', () => {
    const text = edit('name: orders-priority', 'name: orders-priority\ncolour: blue')
      .replace('group: mb-orders', 'group: mb-orders, grup: x')
      .replace('model: priority }', 'model: priority }\n  retry: { attempts: 3, retries: 4 }');
    expect(paths(failure(text)).sort()).toEqual(['colour', 'inference.retry.retries', 'source.grup']);
    expect(failure(text).issues.every((issue) => issue.message === 'unknown key')).toBe(true);
  });

  it('reports several errors at once with their dotted paths', () => {
    const text = VALID.replace('orders-priority', 'Orders Priority')
      .replace('["localhost:9092"], topic: orders,', '["localhost"], topic: orders,')
      .replace('model: priority }', 'model: priority }\n  retry: { attempts: 0 }')
      .replace(/deadLetter:.*\n/, '');
    const error = failure(text);
    expect(paths(error).sort()).toEqual(['deadLetter', 'inference.retry.attempts', 'name', 'source.brokers.0']);
    expect(error.issues.find((issue) => issue.path === 'deadLetter')?.message).toBe('required (expected object)');
    expect(error.issues.find((issue) => issue.path === 'source.brokers.0')?.message).toBe('expected host:port');
  });

  it('names the allowed kinds for an unknown source kind', () => {
    const error = failure(edit('kind: kafka, brokers: ["localhost:9092"], topic: orders,', 'kind: kafka2, brokers: ["localhost:9092"], topic: orders,'));
    expect(error.issues).toEqual([{ path: 'source.kind', message: expect.stringMatching(/kafka.*rabbitmq.*memory/) }]);
  });

  describe('cross-field rules', () => {
    it('minDelay must not exceed maxDelay', () => {
      const text = edit('model: priority }', 'model: priority }\n  retry: { minDelay: 5s, maxDelay: 1s }');
      expect(failure(text).issues).toEqual([{ path: 'inference.retry.minDelay', message: 'must not exceed maxDelay' }]);
    });

    it('breaker resetTimeout is at least 10ms', () => {
      const text = edit('model: priority }', 'model: priority }\n  breaker: { resetTimeout: 5ms }');
      expect(paths(failure(text))).toEqual(['inference.breaker.resetTimeout']);
      expect(() => loadConnectorConfig(edit('model: priority }', 'model: priority }\n  breaker: { resetTimeout: 10ms }'), options())).not.toThrow();
    });

    it('dead letters must not go to the sink', () => {
      expect(paths(failure(edit('topic: orders.dlq', 'topic: orders.enriched')))).toEqual(['deadLetter']);
    });

    it('the sink topic must differ from the source topic', () => {
      expect(paths(failure(edit('topic: orders.enriched', 'topic: orders')))).toEqual(['sink.topic']);
    });

    it('rabbitmq sink and dead letter differ by exchange and routing key', () => {
      const base = VALID.replace(/sink:.*\n/, 'sink: { kind: rabbitmq, url: "amqp://localhost", exchange: out, routingKey: a }\n');
      expect(paths(failure(base.replace(/deadLetter:.*\n/, 'deadLetter: { kind: rabbitmq, url: "amqp://localhost", exchange: out, routingKey: a }\n')))).toEqual(['deadLetter']);
      const ok = base.replace(/deadLetter:.*\n/, 'deadLetter: { kind: rabbitmq, url: "amqp://localhost", exchange: out, routingKey: dlq }\n');
      expect(loadConnectorConfig(ok, options()).deadLetter.kind).toBe('rabbitmq');
    });
  });

  describe('interpolation', () => {
    it('substitutes ${NAME}, ${NAME:-default}, ${file:...} and $${ in string values', () => {
      const text = edit('model: priority }', 'model: "${MODEL}", headers: { authorization: "Bearer ${file:/run/secrets/token}", x-lit: "$${HOME}", x-def: "${UNSET:-fallback}" } }');
      const config = loadConnectorConfig(
        text,
        options({ env: { MODEL: 'priority-v2' }, readFile: (path) => (path === '/run/secrets/token' ? 's3cr3t\n' : noFiles(path)) }),
      );
      expect(config.inference.backend.model).toBe('priority-v2');
      expect(config.inference.backend.headers).toEqual({ authorization: 'Bearer s3cr3t', 'x-lit': '${HOME}', 'x-def': 'fallback' });
    });

    it('uses the default for an empty variable and keeps a set one', () => {
      const text = edit('model: priority }', 'model: "${M:-dflt}" }');
      expect(loadConnectorConfig(text, options({ env: { M: '' } })).inference.backend.model).toBe('dflt');
      expect(loadConnectorConfig(text, options({ env: { M: 'set' } })).inference.backend.model).toBe('set');
    });

    it('does not re-scan substituted text', () => {
      const text = edit('model: priority }', 'model: "${M}" }');
      expect(loadConnectorConfig(text, options({ env: { M: '${OTHER}' } })).inference.backend.model).toBe('${OTHER}');
    });

    it('resolves relative file references against the config file', () => {
      const read: string[] = [];
      const text = edit('model: priority }', 'model: "${file:secrets/model}" }');
      loadConnectorConfig(text, options({ file: '/etc/mb/orders.yaml', readFile: (path) => (read.push(path), 'm\r\n') }));
      expect(read).toEqual(['/etc/mb/secrets/model']);
    });

    it('lists every unset variable and unreadable file at its path, without stopping at the first', () => {
      const text = VALID.replace('["localhost:9092"], topic: orders,', '["${BROKER}"], topic: orders,').replace(
        'model: priority }',
        'model: "${MODEL}", headers: { k: "${file:/nope}" } }',
      );
      const error = failure(text);
      expect(error.issues).toEqual([
        { path: 'source.brokers.0', message: 'environment variable BROKER is not set' },
        { path: 'inference.backend.model', message: 'environment variable MODEL is not set' },
        { path: 'inference.backend.headers.k', message: 'cannot read file /nope (ENOENT)' },
      ]);
    });

    it('rejects malformed references', () => {
      const text = edit('model: priority }', 'model: "${not a name}", headers: { a: "${UNCLOSED", b: "${file:}" } }');
      expect(paths(failure(text))).toEqual(['inference.backend.model', 'inference.backend.headers.a', 'inference.backend.headers.b']);
    });

    it('never puts substituted values into messages', () => {
      const secret = 'hunter2-very-secret';
      const text = edit('model: priority }', 'model: priority }\n  timeout: "${TIMEOUT}"').replace('orders-priority', '"${NAME}"');
      const error = failure(text, { env: { TIMEOUT: secret, NAME: `BAD ${secret}` } });
      expect(paths(error).sort()).toEqual(['inference.timeout', 'name']);
      expect(error.format()).not.toContain(secret);
      expect(error.message).not.toContain(secret);
      expect(error.format()).toContain('***');
    });
  });

  describe('YAML', () => {
    it('reports a syntax error with line and column, without quoting the source', () => {
      const error = failure('name: x\nsource: { kind: kafka\npassword: hunter2\n');
      expect(error.issues.length).toBeGreaterThan(0);
      expect(error.issues[0]!.message).toMatch(/^YAML syntax error at line \d+, column \d+: /);
      expect(error.format()).not.toContain('hunter2');
    });

    it('rejects duplicate keys', () => {
      expect(failure('name: a\nname: b\n').issues[0]!.message).toMatch(/line 2/);
    });

    it('rejects a second document', () => {
      const error = failure(`${VALID}---\n${VALID}`);
      expect(error.issues).toEqual([{ path: '', message: expect.stringContaining('one connector per file: found 2 YAML documents') }]);
    });

    it.each([
      ['an empty file', '', 'empty file: expected a connector configuration'],
      ['a comment-only file', '# nothing\n', 'empty file: expected a connector configuration'],
      ['a scalar', 'just text', 'expected object, received string'],
      ['a list', '- a\n- b', 'expected object, received array'],
    ])('rejects %s', (_what, text, message) => {
      expect(failure(text).issues).toEqual([{ path: '', message }]);
    });

    it('stops alias bombs', () => {
      const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 1; i < 12; i++) bomb.push(`${'abcdefghijklm'[i]}: &${'abcdefghijklm'[i]} [${Array(9).fill(`*${'abcdefghijklm'[i - 1]}`).join(',')}]`);
      expect(failure(bomb.join('\n')).issues[0]!.message).toMatch(/YAML/);
    });
  });

  it('compiles the mappings, the fallback and shadow inheriting the primary\'s where they give none', async () => {
    const text = edit(
      '  response: { priority: "outputs.PRIORITY[0]" }\n',
      [
        '  response: { priority: "outputs.PRIORITY[0]" }',
        '  fallback:',
        '    backend: { kind: rest, url: "http://localhost:8001/predict", model: rules }',
        '    response: { priority: "$uppercase(outputs.label)" }',
        '  shadow:',
        '    backend: { kind: kserve-http, url: "http://localhost:8002", model: next }',
        '',
      ].join('\n'),
    );
    const { mappings } = loadConnectorConfig(text, options());
    expect(mappings.fallback?.request).toBe(mappings.primary.request);
    expect(mappings.shadow?.request).toBe(mappings.primary.request);
    expect(mappings.shadow?.response).toBe(mappings.primary.response);
    expect(mappings.primary.request.apply({ data: { text: 'hi' } }, 'request')).toEqual({ TEXT: 'hi' });
    expect(await mappings.fallback!.response.applyAsync({ outputs: { label: 'high' } }, 'response')).toEqual({ priority: 'HIGH' });
  });

  it('refuses every mapping expression that does not compile, at its path, with the file', () => {
    const text = edit('request: { inputs: { TEXT: data.text } }', 'request: { inputs: { TEXT: "$uppercase(data.text", OK: data.text } }')
      .replace('response: { priority: "outputs.PRIORITY[0]" }', 'response: { priority: "outputs[[[" }\n  shadow: { backend: { kind: rest, url: "http://x/p", model: s }, response: { p: "(" } }');
    const error = failure(text, { file: 'a.yaml' });
    expect(paths(error)).toEqual(['inference.request.inputs.TEXT', 'inference.response.priority', 'inference.shadow.response.p']);
    expect(error.format().split('\n')[0]).toMatch(/^a\.yaml: inference\.request\.inputs\.TEXT: invalid expression: /);
  });

  it('is a ModelbridgeError with code CONFIG_INVALID, formatted one line per issue with the file', () => {
    const error = failure(VALID.replace('orders-priority', 'BAD').replace(/deadLetter:.*\n/, ''), { file: 'orders.yaml' });
    expect(isModelbridgeError(error)).toBe(true);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.retryable).toBe(false);
    expect(error.format().split('\n')).toEqual([
      'orders.yaml: name: lower-case letters, digits, dot, dash and underscore; at most 100 characters',
      'orders.yaml: deadLetter: required (expected object)',
    ]);
  });
});

describe('maskSecrets', () => {
  it('masks passwords, headers and URL credentials and leaves the rest alone', () => {
    const text = VALID.replace('group: mb-orders', 'group: mb-orders, sasl: { mechanism: plain, username: svc, password: pw1 }')
      .replace('model: priority }', 'model: priority, headers: { authorization: "Bearer tok" } }')
      .replace('url: "http://localhost:8000"', 'url: "http://u:pw2@localhost:8000/v2?api_key=k3&x=1"')
      .replace(/deadLetter:.*\n/, 'deadLetter: { kind: rabbitmq, url: "amqps://guest:pw4@rabbit:5671/vh" }\n');
    const config = loadConnectorConfig(text, options());
    const masked = maskSecrets(config);
    const dump = JSON.stringify(masked);
    for (const secret of ['pw1', 'pw2', 'k3', 'pw4', 'tok']) expect(dump).not.toContain(secret);
    expect(masked.source.kind === 'kafka' && masked.source.sasl).toEqual({ mechanism: 'plain', username: 'svc', password: '***' });
    expect(masked.inference.backend.url).toBe('http://u:***@localhost:8000/v2?api_key=***&x=1');
    expect(masked.deadLetter.kind === 'rabbitmq' && masked.deadLetter.url).toBe('amqps://guest:***@rabbit:5671/vh');
    expect(masked.inference.backend.headers).toEqual({ authorization: '***' });
    expect(masked.inference.request).toEqual(config.inference.request);
    expect(Object.isFrozen(masked.inference.backend)).toBe(true);
    // the original is untouched
    expect(config.source.kind === 'kafka' && config.source.sasl?.password).toBe('pw1');
  });
});
