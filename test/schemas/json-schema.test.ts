import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONNECTOR_CONFIG_SCHEMA_PATH, createConnectorConfigJsonSchema, renderConnectorConfigJsonSchema } from '../../schemas/json-schema.ts';

type Node = Record<string, unknown>;
const schema = createConnectorConfigJsonSchema() as Node;
const props = (node: unknown): Node => (node as { properties: Node }).properties;

describe('connector config JSON Schema', () => {
  it('the committed file is up to date (regenerate: npm exec -- node scripts/gen-json-schema.ts)', () => {
    const committed = readFileSync(new URL(`../../${CONNECTOR_CONFIG_SCHEMA_PATH}`, import.meta.url), 'utf8');
    expect(committed).toBe(renderConnectorConfigJsonSchema());
  });

  it('describes the input side: defaults optional, durations as string or number', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect((schema.required as string[]).sort()).toEqual(['deadLetter', 'inference', 'name', 'sink', 'source']);
    expect(schema.additionalProperties).toBe(false);
    const inference = props(schema).inference as Node;
    expect(props(inference).timeout).toMatchObject({ type: ['string', 'number'] });
    expect((inference.required as string[]).sort()).toEqual(['backend', 'request', 'response']);
    expect(props(props(inference).retry).minDelay).toMatchObject({ type: ['string', 'number'] });
  });

  it('gives every field an editor can hover its own description, from the zod schema', () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) return node.forEach((item) => walk(item, path));
      if (node === null || typeof node !== 'object') return;
      const n = node as Node;
      for (const [key, value] of Object.entries((n.properties as Node | undefined) ?? {})) {
        if (key !== 'kind' && (value as Node).description === undefined) undocumented.push(`${path}.${key}`);
        walk(value, `${path}.${key}`);
      }
      for (const key of ['anyOf', 'oneOf', 'items', 'additionalProperties']) walk(n[key], path);
    };
    walk(schema, '');
    expect(undocumented).toEqual([]);
    expect(props(props(schema).inference as Node).timeout).toMatchObject({ description: 'Timeout of one inference attempt.' });
  });

  it('lets interpolated strings through where a pattern would reject them', () => {
    const kafka = (props(schema).source as { oneOf: Node[] }).oneOf[0]!;
    const items = (props(kafka).brokers as { items: { anyOf: Node[] } }).items;
    const [plain, interpolated] = items.anyOf;
    expect(new RegExp(plain!.pattern as string).test('${BROKER}')).toBe(false);
    expect(new RegExp(interpolated!.pattern as string).test('${BROKER}')).toBe(true);
    expect(new RegExp(interpolated!.pattern as string).test('localhost:9092')).toBe(false);
  });
});
