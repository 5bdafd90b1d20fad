import { rabbitmqHarness } from './harness-rabbitmq.ts';
import { runWorkerEndToEnd } from './e2e-suite.ts';

runWorkerEndToEnd(rabbitmqHarness);
