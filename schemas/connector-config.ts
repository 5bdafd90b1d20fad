/**
 * The connector configuration integration teams write, one YAML file per connector. Parsed once at
 * the process boundary into a frozen object; every duration becomes milliseconds, named `…Ms`.
 */
import { z } from 'zod';
import { backendSchema } from './backend-config.ts';
import { byteSize, duration, durationsInMs } from './duration.ts';

export * from './backend-config.ts';

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lower-case letters, digits, dot, dash and underscore; at most 100 characters')
  .describe('Connector name: metrics label, log field, and the enriched events\' source `/modelbridge/<name>`.');

const kafkaSasl = z
  .object({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism: `plain` (over TLS only, sensibly) or SCRAM.'),
    username: z.string().min(1).describe('SASL user name.'),
    password: z.string().min(1).describe('Use `${ENV}` or `${file:…}`; masked in config dumps and logs.'),
  })
  .strict()
  .describe('SASL authentication (usually with `ssl`).');

/** TLS towards a broker. PEM text: use `${file:/path/ca.pem}`. */
export const brokerTlsSchema = z
  .object({
    ca: z.string().min(1).optional().describe('CA certificate(s) that sign the broker\'s certificate; the system CAs when absent.'),
    cert: z.string().min(1).optional().describe('Client certificate (chain) and its key, for brokers that ask for one (mutual TLS, AMQP EXTERNAL).'),
    key: z.string().min(1).optional().describe('The client certificate\'s private key, PEM (use `${file:…}`).'),
    passphrase: z.string().min(1).optional().describe('Passphrase of an encrypted `key`.'),
    serverName: z.string().min(1).optional().describe('Server name for SNI and the certificate check, when it differs from the host the client connects to.'),
  })
  .strict()
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), 'cert and key go together (a client certificate)');

const kafkaConnection = {
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1).describe('Bootstrap brokers, `host:port`.'),
  clientId: z.string().min(1).optional().describe('Kafka client id (broker logs and quotas); default `modelbridge`.'),
  ssl: z.union([z.boolean(), brokerTlsSchema]).default(false).describe('TLS: `false` (default) off, `true` on with the system CAs, or the CA, client certificate and server name to use.'),
  sasl: kafkaSasl.optional(),
};

const amqpSecurity = {
  tls: brokerTlsSchema.optional().describe('TLS settings of an `amqps://` URL (CA, client certificate); the system CAs when absent.'),
  auth: z.enum(['plain', 'external']).default('plain').describe('`plain`: user and password from the URL. `external`: the client certificate (`tls.cert`) is the identity (SASL EXTERNAL; RabbitMQ\'s `rabbitmq_auth_mechanism_ssl` plugin).'),
};

/** TLS settings need an `amqps://` URL; EXTERNAL needs a client certificate to authenticate with. */
function checkAmqpSecurity(config: { url: string; tls?: z.infer<typeof brokerTlsSchema> | undefined; auth: string }, ctx: z.RefinementCtx): void {
  if (config.tls !== undefined && !config.url.startsWith('amqps://')) {
    ctx.addIssue({ code: 'custom', path: ['tls'], message: 'needs an amqps:// url' });
  }
  if (config.auth === 'external' && config.tls?.cert === undefined) {
    ctx.addIssue({ code: 'custom', path: ['auth'], message: 'external needs a client certificate (tls.cert and tls.key)' });
  }
}

export const kafkaSourceSchema = durationsInMs(
  z
  .object({
    kind: z.literal('kafka'),
    ...kafkaConnection,
    topic: z.string().min(1).describe('Topic to consume.'),
    group: z.string().min(1).describe('Consumer group id.'),
    fromBeginning: z.boolean().default(true).describe('Where a new group starts: earliest (default) or latest.'),
    maxMessageBytes: byteSize.default(1_048_576).describe('Messages larger than this are dead-lettered with MESSAGE_TOO_LARGE.'),
    commitInterval: duration.default(1000).describe('Commit interval for completed offsets.'),
    sessionTimeout: duration.default(30_000).describe('Consumer group session timeout: a member silent this long is removed and its partitions reassigned.'),
  })
  .strict(),
  'commitInterval',
  'sessionTimeout',
).describe('Consume a Kafka topic as a member of a consumer group.');

export const rabbitmqSourceSchema = durationsInMs(
  z
  .object({
    kind: z.literal('rabbitmq'),
    url: z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URL').describe('`amqp://user:pass@host:5672/vhost` or `amqps://…`.'),
    queue: z.string().min(1).describe('Queue to consume.'),
    assertQueue: z.boolean().default(true).describe('Declare the queue (durable) if it does not exist.'),
    prefetch: z.number().int().min(1).max(65_535).default(256).describe('Unacknowledged deliveries the broker may push; also the intake window.'),
    maxMessageBytes: byteSize.default(1_048_576).describe('Messages larger than this are dead-lettered with MESSAGE_TOO_LARGE.'),
    reconnectDelay: duration.default(500).describe('Delay between reconnect attempts (doubles up to 30 s).'),
    ...amqpSecurity,
  })
  .strict()
  .superRefine(checkAmqpSecurity),
  'reconnectDelay',
).describe('Consume a RabbitMQ queue with manual acknowledgements.');

export const memorySourceSchema = z
  .object({
    kind: z.literal('memory'),
    stream: z.string().min(1).describe('Name of the in-process stream.'),
    maxMessageBytes: byteSize.default(1_048_576).describe('Messages larger than this are dead-lettered with MESSAGE_TOO_LARGE.'),
  })
  .strict()
  .describe('In-process stream; for the demo and unit tests only.');

export const sourceSchema = z
  .discriminatedUnion('kind', [kafkaSourceSchema, rabbitmqSourceSchema, memorySourceSchema])
  .describe('Where events come from: a Kafka topic, a RabbitMQ queue, or (demo, tests) a memory stream.');

export const kafkaSinkSchema = z
  .object({
    kind: z.literal('kafka'),
    ...kafkaConnection,
    topic: z.string().min(1).describe('Topic to publish to.'),
    maxMessageBytes: byteSize.default(1_048_576).describe('Largest message the producer sends; larger ones fail with PUBLISH_TOO_LARGE.'),
  })
  .strict();

export const rabbitmqSinkSchema = durationsInMs(
  z
  .object({
    kind: z.literal('rabbitmq'),
    url: z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URL').describe('`amqp://user:pass@host:5672/vhost` or `amqps://…`.'),
    exchange: z.string().default('').describe('Exchange to publish to; `""` is the default exchange (routing key = queue name).'),
    exchangeType: z.enum(['direct', 'topic', 'fanout', 'headers']).optional().describe('Declare the exchange (durable) with this type; absent: it must exist already.'),
    routingKey: z.string().default('').describe('Routing key of every published message.'),
    queue: z.string().min(1).optional().describe('Declare this durable queue and bind it to the exchange with the routing key.'),
    maxMessageBytes: byteSize.default(16_777_216).describe('Largest message published; larger ones fail with PUBLISH_TOO_LARGE.'),
    reconnectDelay: duration.default(500).describe('Delay before the first reconnect attempt (doubles up to 30 s).'),
    ...amqpSecurity,
  })
  .strict()
  .superRefine(checkAmqpSecurity),
  'reconnectDelay',
);

export const memorySinkSchema = z
  .object({ kind: z.literal('memory'), stream: z.string().min(1).describe('Name of the in-process stream.') })
  .strict()
  .describe('In-process stream; for the demo and unit tests only.');

export const sinkSchema = z.discriminatedUnion('kind', [kafkaSinkSchema, rabbitmqSinkSchema, memorySinkSchema]).describe('A Kafka topic, a RabbitMQ exchange, or (demo, tests) a memory stream.');

/** A capped full-jitter backoff with these defaults: `minDelay` (base), `maxDelay` (cap); `…Ms` once parsed. */
function backoffSchema(minDelay: number, maxDelay: number) {
  return durationsInMs(
    z
      .object({
        minDelay: duration.default(minDelay).describe('Base of the exponential backoff (the first delay is at most this).'),
        maxDelay: duration.default(maxDelay).describe('Cap of every delay, and of a server\'s retry hint.'),
      })
      .strict()
      .default({ minDelay, maxDelay }),
    'minDelay',
    'maxDelay',
  );
}

export const DECODE_FORMATS = ['cloudevents', 'json', 'sap-event', 'sap-idoc', 'salesforce-cdc', 'salesforce-platform-event'] as const;

export const decodeSchema = z
  .object({
    format: z.enum(DECODE_FORMATS).default('cloudevents').describe('`cloudevents`: CloudEvents 1.0, structured or binary mode. `json`: any JSON object. `sap-event`: SAP S/4HANA business events. `sap-idoc`: IDoc XML. `salesforce-cdc`: Change Data Capture events (streaming, Pub/Sub API and Kafka Connect shapes). `salesforce-platform-event`: platform events (`__e`).'),
    idPath: z.string().min(1).optional().describe('json: path of the event id in the payload (default: a CloudEvent-ish `id`, else transport key + position).'),
    keyPath: z.string().min(1).optional().describe('Every format: the partition key, as a dot path (`order.id`, `segments.E1EDK01[0].BELNR`) or a JSONata expression into the event\'s data (IDocs: `{idocType, control, segments}`). Overrides the built-in key rule; an event where it gives no single string or number is INVALID_EVENT.'),
    types: z.array(z.string().min(1)).optional().describe('Event types this connector expects (CloudEvent `type`, e.g. `sap.s4.beh.FreightOrder.Created.v1`, `sap.idoc.ZMMSTOCKRECON_01.ZMMSTOCKRECON`). Documentation for readers and for `validate`, which warns about each type that no key rule covers (its events would be ordered by nothing but their own id).'),
    lenientTime: z.boolean().optional().describe('cloudevents, sap-event: accept `time` values that are not RFC 3339 but unambiguous in form (`2018-04-08 08:31:00`, no zone read as UTC, `+0200`, SAP\'s `YYYYMMDDhhmmss`), normalised to RFC 3339 with the original kept in the `originaltime` extension. Off unless true: such events are INVALID_EVENT.'),
    type: z.string().min(1).default('com.modelbridge.json').describe('json: CloudEvent `type` to give the events.'),
    idoc: z
      .object({
        maxDepth: z.number().int().min(4).max(256).default(32).describe('Deepest element nesting accepted.'),
        maxElements: z.number().int().min(100).max(10_000_000).default(200_000).describe('Most elements in one IDoc (a 1 MB IDoc has well under 100,000).'),
        typedFields: z.record(z.string(), z.enum(['number', 'date', 'time'])).default({}).describe('Fields typed on request, by field name: zero-padded numbers, `YYYYMMDD` dates, `HHMMSS` times.'),
      })
      .strict()
      .optional()
      .describe('sap-idoc: parser limits and typing of fields.'),
    salesforce: z
      .object({
        org: z.string().min(1).optional().describe('Org id or My Domain name used in the CloudEvent `source` (`/salesforce/<org>/…`); events do not carry it.'),
        gapEvents: z.enum(['dead-letter', 'pass-through']).default('dead-letter').describe('Gap events: dead-lettered (GAP_EVENT), or forwarded unchanged without a model call.'),
        overflowEvents: z.enum(['dead-letter', 'pass-through']).default('dead-letter').describe('Overflow events: dead-lettered (OVERFLOW_EVENT), or forwarded unchanged without a model call.'),
      })
      .strict()
      .optional()
      .describe('salesforce-cdc: what to do with gap and overflow events (they carry no field values).'),
  })
  .strict();

export const inferenceSchema = durationsInMs(
  z
  .object({
    backend: backendSchema.describe('The model server: `kserve-http`, `kserve-grpc` (Open Inference Protocol v2), `openai` or `rest`.'),
    request: z
      .object({
        inputs: z.record(z.string().min(1), z.string().min(1)).refine((o) => Object.keys(o).length > 0, 'at least one input').describe('Model input name → path into the event (e.g. `data.text`).'),
        parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('Request parameters sent as they are (OIP `parameters`, OpenAI options, REST `wrap` parameters).'),
      })
      .strict()
      .describe('How an event becomes the model request.'),
    response: z.record(z.string().min(1), z.string().min(1)).refine((o) => Object.keys(o).length > 0, 'at least one field').describe('Output field name on the enriched event → path into the response (e.g. `outputs.label[0]`).'),
    timeout: duration.default(2000).describe('Timeout of one inference attempt.'),
    maxResponseBytes: byteSize.optional().describe('Largest model answer read per call (every backend of this connector: primary, fallback, shadow). A larger one is not read on: the connection (HTTP) or the call (gRPC) is cut and the event fails with INFERENCE_BAD_RESPONSE. Default: 64 MiB (16 MiB for `rest`).'),
    retry: durationsInMs(
      z
      .object({
        attempts: z.number().int().min(1).max(100).default(5).describe('Attempts in all (1 = no retry).'),
        minDelay: duration.default(100).describe('Base of the exponential backoff (the first delay is at most this).'),
        maxDelay: duration.default(10_000).describe('Cap of every delay, and of a server\'s retry hint.'),
      })
      .strict()
      .default({ attempts: 5, minDelay: 100, maxDelay: 10_000 }),
      'minDelay',
      'maxDelay',
    ).describe('Retries of transient failures (timeouts, 429, 5xx, UNAVAILABLE): full-jitter exponential backoff honouring `Retry-After`; then the event is dead-lettered, unless the backend is down (then it is held).'),
    waitForModel: backoffSchema(200, 5000).describe('Before consuming, the connector waits for the model to report ready, checking with this backoff (capped, full jitter).'),
    breaker: durationsInMs(
      z
      .object({
        errorThresholdPercentage: z.number().min(1).max(100).default(50).describe('Failure rate (percent of calls in the rolling window) that opens the breaker.'),
        volumeThreshold: z.number().int().min(1).default(5).describe('Calls in the rolling window before the breaker may open.'),
        resetTimeout: duration.default(5000).describe('How long the breaker stays open before a half-open probe.'),
        rollingWindow: duration.default(10_000).describe('Window over which the failure rate is measured.'),
      })
      .strict()
      .default({ errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeout: 5000, rollingWindow: 10_000 }),
      'resetTimeout',
      'rollingWindow',
    ).describe('Circuit breaker: while it is open, intake pauses and events are held (never dead-lettered for the outage); a readiness probe closes it.'),
    concurrency: z
      .object({
        max: z.number().int().min(1).max(100_000).default(256).describe('Model calls in flight per connector. Events waiting for their key or for a call slot are bounded separately, by `intake`.'),
        adaptive: z.boolean().default(false).describe('Adaptive limit on concurrent model calls (AIMD): grows while latency holds, halves on timeouts, 429, 503 and RESOURCE_EXHAUSTED. Bounded by `min` and `max`.'),
        min: z.number().int().min(1).default(1).describe('Lowest adaptive limit.'),
      })
      .strict()
      .default({ max: 256, adaptive: false, min: 1 })
      .describe('Limit on model calls in flight.'),
    batch: durationsInMs(
      z
      .object({
        maxSize: z.number().int().min(1).max(4096).default(1).describe('Most events in one request; 1 turns batching off.'),
        maxWait: duration.default(5).describe('Longest an event waits for others to fill its batch.'),
      })
      .strict()
      .default({ maxSize: 1, maxWait: 5 }),
      'maxWait',
    ).describe('Micro-batching (Open Inference Protocol backends): up to `maxSize` events within `maxWait` in one request.'),
    fallback: z
      .object({
        backend: backendSchema.describe('The fallback model server (any backend kind).'),
        request: z.object({ inputs: z.record(z.string().min(1), z.string().min(1)).describe('Model input name → path or JSONata expression into the event.') }).strict().optional().describe('Own request mapping; the primary\'s when absent.'),
        response: z.record(z.string().min(1), z.string().min(1)).optional().describe('Own response mapping; the primary\'s when absent.'),
      })
      .strict()
      .optional()
      .describe('A backend used while the primary\'s breaker is open or it is not ready; same mappings unless given.'),
    shadow: z
      .object({
        backend: backendSchema.describe('The shadow model server (any backend kind).'),
        share: z.number().min(0).max(1).default(0.1).describe('Share of events also sent to the shadow, 0..1.'),
        request: z.object({ inputs: z.record(z.string().min(1), z.string().min(1)).describe('Model input name → path or JSONata expression into the event.') }).strict().optional().describe('Own request mapping; the primary\'s when absent.'),
        response: z.record(z.string().min(1), z.string().min(1)).optional().describe('Own response mapping; the primary\'s when absent.'),
        compare: z.array(z.string().min(1)).optional().describe('Output fields compared for the agreement metric (default: all mapped fields).'),
      })
      .strict()
      .optional()
      .describe('A backend receiving a share of requests in the background: never affects outputs; agreement is a metric.'),
  })
  .strict(),
  'timeout',
);

/** A destination a replay may send dead letters to, besides their origin; on the source's broker. */
export const replayTargetConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('kafka'), topic: z.string().min(1).describe('Topic on the source\'s brokers.') }).strict(),
  z
    .object({
      kind: z.literal('rabbitmq'),
      exchange: z.string().default('').describe('`""` is the default exchange: the routing key names a queue.'),
      routingKey: z.string().default('').describe('Routing key the replayed messages are published with.'),
    })
    .strict(),
]);

/** Replay of this connector's dead letters (`modelbridge replay`, the control API). */
export const replaySchema = z
  .object({
    maxReplays: z.number().int().min(0).max(100).default(3).describe('Replays of one message before a replay parks it instead, so that loops end.'),
    queue: z.string().min(1).optional().describe('RabbitMQ: the queue holding the dead letters; default `deadLetter.queue`, else its routing key on the default exchange.'),
    parkingLot: sinkSchema.optional().describe('Where messages past `maxReplays` go, with their history; default beside the DLQ: topic / queue `<name>.parked`.'),
    targets: z.array(replayTargetConfigSchema).default([]).describe('Destinations besides each message\'s origin that a replay may target, on the source\'s broker.'),
  })
  .strict();

export const connectorConfigSchema = z
  .object({
    name,
    source: sourceSchema,
    decode: decodeSchema.default({ format: 'cloudevents', type: 'com.modelbridge.json' }).describe('How raw messages become the canonical CloudEvent.'),
    ordering: z.enum(['key', 'partition', 'none']).default('key').describe('key: per-key order, keys in parallel (default); partition: one at a time per lane; none: no order.'),
    intake: z
      .object({
        maxEvents: z.number().int().min(1).max(1_000_000).optional().describe('Events buffered; default max(1024, 4 × concurrency.max).'),
        maxBytes: byteSize.default(16 * 1_048_576).describe('Bytes of buffered message keys and values.'),
      })
      .strict()
      .default({ maxBytes: 16 * 1_048_576 })
      .describe('Events received and not yet acked (waiting on their key, calling the model or publishing): intake pauses when either bound is reached. `maxEvents` defaults to max(1024, 4 × concurrency.max), so that enough distinct keys are buffered to keep `concurrency.max` model calls busy.'),
    inference: inferenceSchema.describe('The model call: backend, mappings, timeout, retries, breaker, concurrency, batching, fallback and shadow.'),
    enriched: z
      .object({
        type: z.string().min(1).optional().describe('CloudEvent type of enriched events; default: the input type + `.enriched`.'),
        source: z.string().min(1).optional().describe('CloudEvent source of enriched events; default `/modelbridge/<connector name>`.'),
      })
      .strict()
      .default({})
      .describe('CloudEvent attributes of the enriched events.'),
    sink: sinkSchema.describe('Where enriched events are published.'),
    deadLetter: sinkSchema.describe('Where events that cannot be processed go, unchanged, with `mb-dlq-*` headers saying why (must differ from `sink`).'),
    publish: backoffSchema(100, 5000).describe('Publishes of enriched events and dead letters are retried until the broker confirms them (at-least-once), with this backoff (capped, full jitter, honouring a broker\'s retry hint); only shutdown ends them.'),
    replay: replaySchema.default({ maxReplays: 3, targets: [] }).describe('Replay of this connector\'s dead letters (`modelbridge replay`, the control API).'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { retry, breaker } = config.inference;
    for (const [path, backoff] of [
      [['inference', 'retry'], retry],
      [['inference', 'waitForModel'], config.inference.waitForModel],
      [['publish'], config.publish],
    ] as const) {
      if (backoff.minDelayMs > backoff.maxDelayMs) ctx.addIssue({ code: 'custom', path: [...path, 'minDelay'], message: 'must not exceed maxDelay' });
    }
    const { batch, concurrency, backend } = config.inference;
    if (batch.maxSize > 1 && backend.kind !== 'kserve-http' && backend.kind !== 'kserve-grpc') {
      ctx.addIssue({ code: 'custom', path: ['inference', 'batch', 'maxSize'], message: 'micro-batching needs an Open Inference Protocol backend (kserve-http or kserve-grpc)' });
    }
    if (concurrency.min > concurrency.max) {
      ctx.addIssue({ code: 'custom', path: ['inference', 'concurrency', 'min'], message: 'must not exceed max' });
    }
    if (breaker.resetTimeoutMs < 10) {
      ctx.addIssue({ code: 'custom', path: ['inference', 'breaker', 'resetTimeout'], message: 'must be at least 10ms' });
    }
    if (sameDestination(config.sink, config.deadLetter)) {
      ctx.addIssue({ code: 'custom', path: ['deadLetter'], message: 'must differ from sink' });
    }
    if (config.source.kind === 'kafka' && config.sink.kind === 'kafka' && config.source.topic === config.sink.topic) {
      ctx.addIssue({ code: 'custom', path: ['sink', 'topic'], message: 'must differ from the source topic (it would loop)' });
    }
  });

function sameDestination(a: z.infer<typeof sinkSchema>, b: z.infer<typeof sinkSchema>): boolean {
  if (a.kind === 'kafka' && b.kind === 'kafka') return a.topic === b.topic;
  if (a.kind === 'memory' && b.kind === 'memory') return a.stream === b.stream;
  if (a.kind === 'rabbitmq' && b.kind === 'rabbitmq') return a.exchange === b.exchange && a.routingKey === b.routingKey;
  return false;
}

export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;
export type ConnectorConfigInput = z.input<typeof connectorConfigSchema>;
export type SourceConfig = ConnectorConfig['source'];
export type SinkConfig = ConnectorConfig['sink'];
export type KafkaSourceConfig = z.infer<typeof kafkaSourceSchema>;
export type KafkaSinkConfig = z.infer<typeof kafkaSinkSchema>;
export type RabbitmqSourceConfig = z.infer<typeof rabbitmqSourceSchema>;
export type RabbitmqSinkConfig = z.infer<typeof rabbitmqSinkSchema>;

/** The routing key a RabbitMQ sink publishes with: its own, or, on the default exchange without one, its queue's name. */
export function rabbitmqRoutingKey(config: Pick<RabbitmqSinkConfig, 'exchange' | 'routingKey' | 'queue'>): string {
  return config.routingKey !== '' || config.exchange !== '' ? config.routingKey : (config.queue ?? '');
}
export type BrokerTlsConfig = z.infer<typeof brokerTlsSchema>;
export type MemorySourceConfig = z.infer<typeof memorySourceSchema>;
export type MemorySinkConfig = z.infer<typeof memorySinkSchema>;
export type DecodeConfig = ConnectorConfig['decode'];
export type InferenceConfig = ConnectorConfig['inference'];
export type ReplayConfig = ConnectorConfig['replay'];
export type ReplayTargetConfig = z.infer<typeof replayTargetConfigSchema>;
