/**
 * The JSON Schema of connector configuration files, generated from the zod schema so that editors
 * (YAML language server: `# yaml-language-server: $schema=…`) validate and autocomplete what users write.
 */
import { z } from 'zod';
import { connectorConfigSchema } from './connector-config.ts';

/** Where `scripts/gen-json-schema.ts` writes the schema, relative to the repository root. */
export const CONNECTOR_CONFIG_SCHEMA_PATH = 'schemas/connector-config.schema.json';

/**
 * The schema of the *input* side: fields with defaults are optional and durations/sizes are
 * `string | number`, as users write them (the parsed config has milliseconds and bytes).
 * Cross-field rules (`superRefine`) and interpolation are not expressible here; `modelbridge validate`
 * checks them.
 */
export function createConnectorConfigJsonSchema(): Record<string, unknown> {
  const schema = allowInterpolation(
    z.toJSONSchema(connectorConfigSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'throw' }),
  ) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://modelbridge.dev/schemas/connector-config.schema.json',
    title: 'Modelbridge connector configuration',
    description: 'One connector per file. String values may use ${ENV}, ${ENV:-default} and ${file:/path}.',
    ...schema,
  };
}

/** The schema file's exact content: stable key order, two-space indent, trailing newline. */
export function renderConnectorConfigJsonSchema(): string {
  return `${JSON.stringify(createConnectorConfigJsonSchema(), null, 2)}\n`;
}

const INTERPOLATED = { type: 'string', pattern: '\\$\\{', description: 'interpolated (${ENV}, ${file:/path}); checked after substitution' };

/**
 * Strings with a pattern or format (`host:port`, URLs) may hold `${…}` references that only match once
 * substituted; without this, editors would flag every interpolated broker or URL.
 */
function allowInterpolation(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowInterpolation);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = allowInterpolation(value);
  if (out.type === 'string' && (out.pattern !== undefined || out.format !== undefined)) {
    // The field's description stays on the field, where editors show it on hover.
    const { description, ...plain } = out;
    return description === undefined ? { anyOf: [plain, INTERPOLATED] } : { description, anyOf: [plain, INTERPOLATED] };
  }
  return out;
}
