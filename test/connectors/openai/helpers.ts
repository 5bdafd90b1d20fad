/** Fixtures of the openai client tests: a parsed backend config and raw servers at the `/v1` base path. */
import type { RequestListener } from 'node:http';
import { openaiBackendSchema } from '../../../schemas/backend-config.ts';
import type { OpenaiBackendConfig } from '../../../schemas/backend-config.ts';
import { rawServer } from '../../support/http-test-kit.ts';

/** A parsed backend config, as the worker would get it. */
export function openaiConfig(url: string, overrides: Record<string, unknown> = {}): OpenaiBackendConfig {
  return openaiBackendSchema.parse({ kind: 'openai', url, model: 'text-generator', ...overrides });
}

/** The base URL (`…/v1`) of a kit {@link rawServer} running `handler`; closed when the test finishes. */
export async function rawOpenaiServer(handler: RequestListener): Promise<string> {
  return (await rawServer(handler, '/v1')).url;
}
