/** Every shipped connector configuration validates (the deliberately broken one fails as documented). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../connectors/registry.ts';
import { loadConnectorConfig } from '../../schemas/load-config.ts';
import { compileMapping } from '../../schemas/mapping.ts';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return entry.name.endsWith('.yaml') ? [path] : [];
  });
}

const files = yamlFiles('config').filter((file) => !file.endsWith('invalid.yaml'));

describe('config/ examples', () => {
  it('ships examples', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s validates, its mappings compile and its decoder builds', (file) => {
    // Secrets and certificates come from files in production; any readable content will do here.
    const config = loadConnectorConfig(readFileSync(file, 'utf8'), { file, env: {}, readFile: () => '-----BEGIN CERTIFICATE-----' });
    compileMapping(config.inference.request.inputs);
    compileMapping(config.inference.response);
    expect(createRegistry().createDecoder(config.decode).format).toBeTruthy();
  });
});
