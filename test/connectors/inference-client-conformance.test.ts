import { createKserveGrpcClient, createKserveHttpClient } from '../../connectors/kserve/index.ts';
import { createOpenaiClient } from '../../connectors/openai/index.ts';
import { createRestClient } from '../../connectors/rest/index.ts';
import { kserveGrpcBackendSchema, kserveHttpBackendSchema, openaiBackendSchema, restBackendSchema } from '../../schemas/backend-config.ts';
import { useModelServer } from '../support/http-test-kit.ts';
import { describeInferenceClientConformance } from '../support/inference-client-conformance.ts';

const server = useModelServer();
const text = { id: 'evt-1', inputs: { TEXT: ['I love it'] } };

describeInferenceClientConformance(server, {
  kind: 'rest',
  refusedUpstream: 'ECONNREFUSED',
  model: 'sentiment',
  request: { id: 'evt-1', inputs: { TEXT: 'I love it' } },
  create: (s) => createRestClient(restBackendSchema.parse({ kind: 'rest', url: `${s.url}/rest/sentiment/predict`, readyUrl: `${s.url}/rest/sentiment/ready`, model: 'sentiment' })),
  createAt: (address) => createRestClient(restBackendSchema.parse({ kind: 'rest', url: `http://${address}/predict`, readyUrl: `http://${address}/ready`, model: 'sentiment' })),
});

describeInferenceClientConformance(server, {
  kind: 'kserve-http',
  refusedUpstream: 'ECONNREFUSED',
  model: 'sentiment',
  request: text,
  create: (s) => createKserveHttpClient(kserveHttpBackendSchema.parse({ kind: 'kserve-http', url: s.url, model: 'sentiment' })),
  createAt: (address) => createKserveHttpClient(kserveHttpBackendSchema.parse({ kind: 'kserve-http', url: `http://${address}`, model: 'sentiment' })),
});

describeInferenceClientConformance(server, {
  kind: 'kserve-grpc',
  refusedUpstream: 'UNAVAILABLE',
  model: 'sentiment',
  request: text,
  create: (s) => createKserveGrpcClient(kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url: s.grpcUrl, model: 'sentiment' })),
  createAt: (address) => createKserveGrpcClient(kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url: address, model: 'sentiment' })),
});

describeInferenceClientConformance(server, {
  kind: 'openai',
  refusedUpstream: 'ECONNREFUSED',
  model: 'text-generator',
  request: { id: 'evt-1', inputs: { user: 'Summarise: the parcel arrived late.' } },
  create: (s) => createOpenaiClient(openaiBackendSchema.parse({ kind: 'openai', url: `${s.url}/v1`, model: 'text-generator' })),
  createAt: (address) => createOpenaiClient(openaiBackendSchema.parse({ kind: 'openai', url: `http://${address}/v1`, model: 'text-generator' })),
});
