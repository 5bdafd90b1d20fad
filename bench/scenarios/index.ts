/** Every scenario, in the order a full run takes them. */
import { backlogMemoryScenario } from './backlog-memory.ts';
import { batchingScenario } from './batching.ts';
import { grpcClientScenario } from './grpc-client.ts';
import { grpcVsHttpScenario } from './grpc-vs-http.ts';
import { keyCardinalityScenario } from './key-cardinality.ts';
import { latencyScenario } from './latency.ts';
import { losslessJsonScenario } from './lossless-json.ts';
import { overheadScenario } from './overhead.ts';
import { replayRateKafkaScenario, replayRateRabbitmqScenario } from './replay-rate.ts';
import type { Scenario } from './scenario.ts';
import { scalingScenario } from './scaling.ts';
import { slowModelScenario } from './slow-model.ts';
import { soakScenario } from './soak.ts';
import { tracingScenario } from './tracing.ts';

/** Scenarios that run only when named with `--only` (too long for a full run). */
export function onDemandScenarios(): Scenario[] {
  return [soakScenario];
}

/** The scenarios of a full run, in order. */
export function allScenarios(): Scenario[] {
  return [
    overheadScenario('kafka', 1),
    overheadScenario('kafka', 8),
    tracingScenario,
    slowModelScenario,
    keyCardinalityScenario,
    latencyScenario,
    batchingScenario,
    grpcClientScenario,
    grpcVsHttpScenario,
    overheadScenario('rabbitmq', 1),
    backlogMemoryScenario,
    replayRateKafkaScenario,
    replayRateRabbitmqScenario,
    losslessJsonScenario,
    scalingScenario,
  ];
}
