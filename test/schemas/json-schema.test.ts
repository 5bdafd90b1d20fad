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
    expect(props(inference).timeout).toEqual({ type: ['string', 'number'] });
    expect((inference.required as string[]).sort()).toEqual(['backend', 'request', 'response']);
    expect(props(props(inference).retry).minDelay).toEqual({ type: ['string', 'number'] });
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
