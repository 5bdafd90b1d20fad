import { kafkaHarness } from './harness-kafka.ts';
import { runWorkerEndToEnd } from './e2e-suite.ts';

runWorkerEndToEnd(kafkaHarness);
