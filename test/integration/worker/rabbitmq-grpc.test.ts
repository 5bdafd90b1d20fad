import { rabbitmqHarness } from './harness-rabbitmq.ts';
import { runWorkerEndToEnd } from './e2e-suite.ts';

// The same acceptance suite with the model over Open Inference Protocol v2 gRPC.
runWorkerEndToEnd(rabbitmqHarness, 'kserve-grpc');
