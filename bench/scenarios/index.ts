/** Every scenario, in the order a full run takes them. */
import { backlogMemoryScenario } from './backlog-memory.ts';
import { batchingScenario } from './batching.ts';
import { grpcVsHttpScenario } from './grpc-vs-http.ts';
import { latencyScenario } from './latency.ts';
import { losslessJsonScenario } from './lossless-json.ts';
import { overheadScenario } from './overhead.ts';
import { replayRateKafkaScenario, replayRateRabbitmqScenario } from './replay-rate.ts';
import type { Scenario } from './scenario.ts';
import { slowModelScenario } from './slow-model.ts';

/** The scenarios of a full run, in order. */
export function allScenarios(): Scenario[] {
  return [
    overheadScenario('kafka', 1),
    overheadScenario('kafka', 8),
    slowModelScenario,
    latencyScenario,
    batchingScenario,
    grpcVsHttpScenario,
    overheadScenario('rabbitmq', 1),
    backlogMemoryScenario,
    replayRateKafkaScenario,
    replayRateRabbitmqScenario,
    losslessJsonScenario,
  ];
}
