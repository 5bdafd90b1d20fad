/** The connector every fault case runs: numbered JSON events → sentiment over OIP v2 HTTP → sink. */
import type { ConnectorConfigInput } from '../../../schemas/connector-config.ts';

export function faultConnector(
  name: string,
  modelUrl: string,
  io: { source: ConnectorConfigInput['source']; sink: ConnectorConfigInput['sink']; deadLetter: ConnectorConfigInput['deadLetter'] },
  inference: Partial<ConnectorConfigInput['inference']> = {},
): ConnectorConfigInput {
  return {
    name,
    source: io.source,
    decode: { format: 'json', idPath: 'id', keyPath: 'key', type: 'com.example.order.note' },
    inference: {
      backend: { kind: 'kserve-http', url: modelUrl, model: 'sentiment' },
      request: { inputs: { TEXT: 'data.text' } },
      response: { sentiment: 'outputs.LABEL[0]' },
      // The model is not what these cases hurt: generous limits keep a CPU-starved test machine from
      // turning slow answers into dead letters that have nothing to do with the fault under test.
      timeout: '10s',
      retry: { attempts: 6, minDelay: '20ms', maxDelay: '1s' },
      breaker: { volumeThreshold: 10, resetTimeout: '500ms', errorThresholdPercentage: 50, rollingWindow: '5s' },
      concurrency: { max: 64 },
      ...inference,
    },
    sink: io.sink,
    deadLetter: io.deadLetter,
  };
}
