/**
 * Runs the reference model server standalone: `node services/model-server/main.ts --port 8000 --grpc-port 8001`
 * (`--grpc-port off` disables gRPC; `--scheduling '{"sentiment":{"maxQueueSize":64,"maxBatchSize":8,"batchDelayMs":2}}'`).
 * SIGTERM/SIGINT close it gracefully; a second signal exits at once.
 */
import { parseArgs } from 'node:util';
import type { SchedulingOptions } from './scheduler.ts';
import { createModelServer } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8000' },
    host: { type: 'string', default: '127.0.0.1' },
    'max-body-bytes': { type: 'string' },
    'grpc-port': { type: 'string', default: '8001' },
    scheduling: { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`invalid --port ${values.port}`);
  process.exit(2);
}
const grpcPort = values['grpc-port'] === 'off' ? false : Number(values['grpc-port']);
if (grpcPort !== false && (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65_535)) {
  console.error(`invalid --grpc-port ${values['grpc-port']}`);
  process.exit(2);
}
let scheduling: Record<string, SchedulingOptions> | undefined;
try {
  scheduling = values.scheduling === undefined ? undefined : (JSON.parse(values.scheduling) as Record<string, SchedulingOptions>);
} catch {
  console.error('invalid --scheduling: not JSON');
  process.exit(2);
}
const maxBody = values['max-body-bytes'] === undefined ? undefined : Number(values['max-body-bytes']);
const server = createModelServer({ port, host: values.host, maxBodyBytes: maxBody, grpcPort, scheduling });
await server.start();
console.log(JSON.stringify({ msg: 'model server listening', url: server.url, ...(grpcPort === false ? {} : { grpcUrl: server.grpcUrl }) }));

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) process.exit(1);
  stopping = true;
  console.log(JSON.stringify({ msg: 'model server closing', signal }));
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
