/**
 * Writes `schemas/connector-config.schema.json` from the zod schema.
 * Run: `npm exec -- node scripts/gen-json-schema.ts` (a unit test fails when the file is stale).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONNECTOR_CONFIG_SCHEMA_PATH, renderConnectorConfigJsonSchema } from '../schemas/json-schema.ts';

const target = fileURLToPath(new URL(`../${CONNECTOR_CONFIG_SCHEMA_PATH}`, import.meta.url));
writeFileSync(target, renderConnectorConfigJsonSchema());
process.stdout.write(`wrote ${target}\n`);
