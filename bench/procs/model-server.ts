/**
 * The reference model server as a benchmark child process:
 *
 *   node bench/procs/model-server.ts [--latency-ms N] [--scheduling JSON]
 *
 * `--latency-ms` adds a fixed latency to every infer call of every model (with `--scheduling`, to
 * every execution: `{"echo":{"instances":1}}` makes it a per-request cost paid one execution at a time,
 * as a GPU model without dynamic batching behaves). OIP v2 over HTTP and gRPC.
 * Prints one JSON line `{"ready":true,"url":…,"grpcUrl":…}` once listening; SIGTERM closes it.
 */
import { parseArgs } from 'node:util';
import { createModelServer } from '../../services/model-server/index.ts';
import type { ModelServerOptions } from '../../services/model-server/index.ts';
import { announceReady, exitOnSigterm } from './ready.ts';

const { values } = parseArgs({
  options: {
    'latency-ms': { type: 'string', default: '0' },
    scheduling: { type: 'string' },
  },
});
const latencyMs = Number(values['latency-ms']);
const scheduling = values.scheduling === undefined ? undefined : (JSON.parse(values.scheduling) as ModelServerOptions['scheduling']);

const server = createModelServer({ grpcPort: 0, scheduling });
await server.start();
if (latencyMs > 0) for (const model of ['echo', 'sentiment']) server.faults.set(model, { latencyMs });
announceReady({ url: server.url, grpcUrl: server.grpcUrl });
exitOnSigterm(() => server.close());
