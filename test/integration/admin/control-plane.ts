/**
 * The control plane on real Kafka for the API and console tests: the reference model server, a replay
 * environment (topics, producer, collector of enriched events), a worker (not started) and the
 * control API with OIDC auth against the in-test provider and an audit file, listening on 127.0.0.1.
 * With `console`, the provider also registers the console's client for the API's URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createRegistry } from '../../../connectors/registry.ts';
import { adminConfigSchema } from '../../../schemas/admin-config.ts';
import { createAuditLog } from '../../../services/admin/audit.ts';
import type { AuditLog } from '../../../services/admin/audit.ts';
import { createAuthenticator } from '../../../services/admin/auth.ts';
import { consoleSignIn } from '../../../services/admin/console/serve.ts';
import { createAdminServer } from '../../../services/admin/server.ts';
import type { AdminServer } from '../../../services/admin/server.ts';
import { createModelServer } from '../../../services/model-server/index.ts';
import type { ModelServer } from '../../../services/model-server/index.ts';
import { createWorker } from '../../../services/worker/worker.ts';
import type { Worker } from '../../../services/worker/worker.ts';
import { AUDIENCE, CONSOLE_CLIENT, CONSOLE_SCOPE, startTestIssuer } from '../../services/admin/oidc-provider.ts';
import type { TestIssuer } from '../../services/admin/oidc-provider.ts';
import { createReplayEnv } from '../replay/replay-env.ts';
import type { ReplayEnv } from '../replay/replay-env.ts';

export interface ControlPlane {
  readonly dir: string;
  readonly issuer: TestIssuer;
  readonly model: ModelServer;
  readonly env: ReplayEnv;
  readonly worker: Worker;
  readonly admin: AdminServer;
  readonly audit: AuditLog;
  /** The API's URL, `http://127.0.0.1:<port>`. */
  readonly base: string;
  close(): Promise<void>;
}

export async function startControlPlane(options: { console?: boolean; historySampleMs?: number } = {}): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'mb-control-plane-'));
  const model = createModelServer({ grpcPort: false });
  await model.start();
  const env = await createReplayEnv('kafka', model);
  const logger = pino({ level: 'silent' });
  const metricsRegistry = new Registry();
  const worker = createWorker({ connectors: [env.config], registry: createRegistry(), logger, metricsRegistry });
  const audit = createAuditLog({ file: join(dir, 'audit.jsonl') });
  let admin: AdminServer | undefined;
  let base = '';
  const listen = async (issuer: string): Promise<string[]> => {
    const config = adminConfigSchema.parse({
      auth: { mode: 'oidc', issuer, audience: AUDIENCE },
      audit: { file: join(dir, 'audit.jsonl') },
      ...(options.console ? { console: { clientId: CONSOLE_CLIENT, scope: CONSOLE_SCOPE } } : {}),
    });
    if (config.auth.mode !== 'oidc') throw new Error('unreachable');
    const authenticator = createAuthenticator(config.auth, { logger });
    admin = createAdminServer({ worker, metricsRegistry, logger, authenticator, audit, replay: env.service, console: consoleSignIn(config), historySampleMs: options.historySampleMs });
    ({ url: base } = await admin.listen(0));
    return [`${base}/console/callback`];
  };
  // With the console, the provider must know its redirect URI, so the API listens first.
  const issuer = options.console ? await startTestIssuer({ console: listen }) : await startTestIssuer();
  if (!options.console) await listen(issuer.issuer);
  return {
    dir,
    issuer,
    model,
    env,
    worker,
    admin: admin!,
    audit,
    base,
    async close() {
      await worker.close(2000);
      await env.cleanup();
      await admin?.close();
      await audit.close();
      await Promise.allSettled([model.close(), issuer.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
