/**
 * The connector configuration integration teams write, one YAML file per connector. Parsed once at
 * the process boundary into a frozen object; every duration becomes milliseconds.
 */
import { z } from 'zod';
import { backendSchema } from './backend-config.ts';
import { byteSize, duration } from './duration.ts';

export * from './backend-config.ts';

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lower-case letters, digits, dot, dash and underscore; at most 100 characters');

const kafkaSasl = z
  .object({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    password: z.string().min(1),
  })
  .strict();

/** TLS towards a broker. PEM text: use `${file:/path/ca.pem}`. */
export const brokerTlsSchema = z
  .object({
    /** CA certificate(s) that sign the broker's certificate; the system CAs when absent. */
    ca: z.string().min(1).optional(),
    /** Client certificate (chain) and its key, for brokers that ask for one (mutual TLS, AMQP EXTERNAL). */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    /** Passphrase of an encrypted `key`. */
    passphrase: z.string().min(1).optional(),
    /** Server name for SNI and the certificate check, when it differs from the host the client connects to. */
    serverName: z.string().min(1).optional(),
  })
  .strict()
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), 'cert and key go together (a client certificate)');

const kafkaConnection = {
  /** Bootstrap brokers, `host:port`. */
  brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1),
  clientId: z.string().min(1).optional(),
  /** TLS: `false` (default) off, `true` on with the system CAs, or the CA, client certificate and server name to use. */
  ssl: z.union([z.boolean(), brokerTlsSchema]).default(false),
  sasl: kafkaSasl.optional(),
};

const amqpSecurity = {
  /** TLS settings of an `amqps://` URL (CA, client certificate); the system CAs when absent. */
  tls: brokerTlsSchema.optional(),
  /**
   * `plain`: user and password from the URL. `external`: the client certificate (`tls.cert`) is the
   * identity (SASL EXTERNAL; RabbitMQ's `rabbitmq_auth_mechanism_ssl` plugin).
   */
  auth: z.enum(['plain', 'external']).default('plain'),
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

export const kafkaSourceSchema = z
  .object({
    kind: z.literal('kafka'),
    ...kafkaConnection,
    topic: z.string().min(1),
    /** Consumer group id. */
    group: z.string().min(1),
    /** Where a new group starts: earliest (default) or latest. */
    fromBeginning: z.boolean().default(true),
    /** Messages larger than this are dead-lettered with MESSAGE_TOO_LARGE. */
    maxMessageBytes: byteSize.default(1_048_576),
    /** Commit interval for completed offsets. */
    commitInterval: duration.default(1000),
    sessionTimeout: duration.default(30_000),
  })
  .strict()
  .describe('Consume a Kafka topic as a member of a consumer group.');

export const rabbitmqSourceSchema = z
  .object({
    kind: z.literal('rabbitmq'),
    /** `amqp://user:pass@host:5672/vhost` or `amqps://…`. */
    url: z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URL'),
    queue: z.string().min(1),
    /** Declare the queue (durable) if it does not exist. */
    assertQueue: z.boolean().default(true),
    /** Unacknowledged deliveries the broker may push; also the intake window. */
    prefetch: z.number().int().min(1).max(65_535).default(256),
    maxMessageBytes: byteSize.default(1_048_576),
    /** Delay between reconnect attempts (doubles up to 30 s). */
    reconnectDelay: duration.default(500),
    ...amqpSecurity,
  })
  .strict()
  .superRefine(checkAmqpSecurity)
  .describe('Consume a RabbitMQ queue with manual acknowledgements.');

export const memorySourceSchema = z
  .object({
    kind: z.literal('memory'),
    stream: z.string().min(1),
    maxMessageBytes: byteSize.default(1_048_576),
  })
  .strict()
  .describe('In-process stream; for the demo and unit tests only.');

export const sourceSchema = z.discriminatedUnion('kind', [kafkaSourceSchema, rabbitmqSourceSchema, memorySourceSchema]);

export const kafkaSinkSchema = z
  .object({
    kind: z.literal('kafka'),
    ...kafkaConnection,
    topic: z.string().min(1),
    /** Largest message the producer sends; larger ones fail with PUBLISH_TOO_LARGE. */
    maxMessageBytes: byteSize.default(1_048_576),
  })
  .strict();

export const rabbitmqSinkSchema = z
  .object({
    kind: z.literal('rabbitmq'),
    url: z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URL'),
    /** Exchange to publish to; `""` is the default exchange (routing key = queue name). */
    exchange: z.string().default(''),
    /** Declare the exchange (durable) with this type; absent: it must exist already. */
    exchangeType: z.enum(['direct', 'topic', 'fanout', 'headers']).optional(),
    routingKey: z.string().default(''),
    /** Declare this durable queue and bind it to the exchange with the routing key. */
    queue: z.string().min(1).optional(),
    maxMessageBytes: byteSize.default(16_777_216),
    /** Delay before the first reconnect attempt (doubles up to 30 s). */
    reconnectDelay: duration.default(500),
    ...amqpSecurity,
  })
  .strict()
  .superRefine(checkAmqpSecurity);

export const memorySinkSchema = z.object({ kind: z.literal('memory'), stream: z.string().min(1) }).strict();

export const sinkSchema = z.discriminatedUnion('kind', [kafkaSinkSchema, rabbitmqSinkSchema, memorySinkSchema]);

export const DECODE_FORMATS = ['cloudevents', 'json', 'sap-event', 'sap-idoc', 'salesforce-cdc', 'salesforce-platform-event'] as const;

export const decodeSchema = z
  .object({
    /**
     * `cloudevents`: CloudEvents 1.0, structured or binary mode. `json`: any JSON object. `sap-event`:
     * SAP S/4HANA business events. `sap-idoc`: IDoc XML. `salesforce-cdc`: Change Data Capture events
     * (streaming, Pub/Sub API and Kafka Connect shapes). `salesforce-platform-event`: platform events (`__e`).
     */
    format: z.enum(DECODE_FORMATS).default('cloudevents'),
    /** json: path of the event id in the payload (default: a CloudEvent-ish `id`, else transport key + position). */
    idPath: z.string().min(1).optional(),
    /**
     * Every format: the partition key, as a dot path (`order.id`, `segments.E1EDK01[0].BELNR`) or a JSONata
     * expression into the event's data (IDocs: `{idocType, control, segments}`). Overrides the built-in
     * key rule; an event where it gives no single string or number is INVALID_EVENT.
     */
    keyPath: z.string().min(1).optional(),
    /**
     * Event types this connector expects (CloudEvent `type`, e.g. `sap.s4.beh.FreightOrder.Created.v1`,
     * `sap.idoc.ZMMSTOCKRECON_01.ZMMSTOCKRECON`). Documentation for readers and for `validate`, which warns
     * about each type that no key rule covers (its events would be ordered by nothing but their own id).
     */
    types: z.array(z.string().min(1)).optional(),
    /**
     * cloudevents, sap-event: accept `time` values that are not RFC 3339 but unambiguous in form
     * (`2018-04-08 08:31:00`, no zone read as UTC, `+0200`, SAP's `YYYYMMDDhhmmss`), normalised to RFC 3339
     * with the original kept in the `originaltime` extension. Off unless true: such events are INVALID_EVENT.
     */
    lenientTime: z.boolean().optional(),
    /** json: CloudEvent `type` to give the events. */
    type: z.string().min(1).default('com.modelbridge.json'),
    /** sap-idoc: parser limits and typing of fields. */
    idoc: z
      .object({
        /** Deepest element nesting accepted. */
        maxDepth: z.number().int().min(4).max(256).default(32),
        /** Most elements in one IDoc (a 1 MB IDoc has well under 100,000). */
        maxElements: z.number().int().min(100).max(10_000_000).default(200_000),
        /** Fields typed on request, by field name: zero-padded numbers, `YYYYMMDD` dates, `HHMMSS` times. */
        typedFields: z.record(z.string(), z.enum(['number', 'date', 'time'])).default({}),
      })
      .strict()
      .optional(),
    /** salesforce-cdc: what to do with gap and overflow events (they carry no field values). */
    salesforce: z
      .object({
        /** Org id or My Domain name used in the CloudEvent `source` (`/salesforce/<org>/…`); events do not carry it. */
        org: z.string().min(1).optional(),
        gapEvents: z.enum(['dead-letter', 'pass-through']).default('dead-letter'),
        overflowEvents: z.enum(['dead-letter', 'pass-through']).default('dead-letter'),
      })
      .strict()
      .optional(),
  })
  .strict();

export const inferenceSchema = z
  .object({
    backend: backendSchema,
    request: z
      .object({
        /** Model input name → path into the event (e.g. `data.text`). */
        inputs: z.record(z.string().min(1), z.string().min(1)).refine((o) => Object.keys(o).length > 0, 'at least one input'),
        parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      })
      .strict(),
    /** Output field name on the enriched event → path into the response (e.g. `outputs.label[0]`). */
    response: z.record(z.string().min(1), z.string().min(1)).refine((o) => Object.keys(o).length > 0, 'at least one field'),
    /** Timeout of one inference attempt. */
    timeout: duration.default(2000),
    /**
     * Largest model answer read per call (every backend of this connector: primary, fallback, shadow).
     * A larger one is not read on: the connection (HTTP) or the call (gRPC) is cut and the event fails
     * with INFERENCE_BAD_RESPONSE. Default: 64 MiB (16 MiB for `rest`).
     */
    maxResponseBytes: byteSize.optional(),
    retry: z
      .object({
        /** Attempts in all (1 = no retry). */
        attempts: z.number().int().min(1).max(100).default(5),
        minDelay: duration.default(100),
        maxDelay: duration.default(10_000),
      })
      .strict()
      .default({ attempts: 5, minDelay: 100, maxDelay: 10_000 }),
    /** Before consuming, the connector waits for the model to report ready, checking with this backoff (capped, full jitter). */
    waitForModel: z
      .object({
        minDelay: duration.default(200),
        maxDelay: duration.default(5000),
      })
      .strict()
      .default({ minDelay: 200, maxDelay: 5000 }),
    breaker: z
      .object({
        errorThresholdPercentage: z.number().min(1).max(100).default(50),
        /** Calls in the rolling window before the breaker may open. */
        volumeThreshold: z.number().int().min(1).default(5),
        /** How long the breaker stays open before a half-open probe. */
        resetTimeout: duration.default(5000),
        rollingWindow: duration.default(10_000),
      })
      .strict()
      .default({ errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeout: 5000, rollingWindow: 10_000 }),
    concurrency: z
      .object({
        /**
         * Model calls in flight per connector. Events waiting for their key or for a call slot are bounded
         * separately, by `intake`.
         */
        max: z.number().int().min(1).max(100_000).default(256),
        /**
         * Adaptive limit on concurrent model calls (AIMD): grows while latency holds, halves on timeouts,
         * 429, 503 and RESOURCE_EXHAUSTED. Bounded by `min` and `max`.
         */
        adaptive: z.boolean().default(false),
        min: z.number().int().min(1).default(1),
      })
      .strict()
      .default({ max: 256, adaptive: false, min: 1 }),
    /** Micro-batching (Open Inference Protocol backends): up to `maxSize` events within `maxWait` in one request. */
    batch: z
      .object({
        maxSize: z.number().int().min(1).max(4096).default(1),
        maxWait: duration.default(5),
      })
      .strict()
      .default({ maxSize: 1, maxWait: 5 }),
    /** A backend used while the primary's breaker is open or it is not ready; same mappings unless given. */
    fallback: z
      .object({
        backend: backendSchema,
        request: z.object({ inputs: z.record(z.string().min(1), z.string().min(1)) }).strict().optional(),
        response: z.record(z.string().min(1), z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    /** A backend receiving a share of requests in the background: never affects outputs; agreement is a metric. */
    shadow: z
      .object({
        backend: backendSchema,
        /** Share of events also sent to the shadow, 0..1. */
        share: z.number().min(0).max(1).default(0.1),
        request: z.object({ inputs: z.record(z.string().min(1), z.string().min(1)) }).strict().optional(),
        response: z.record(z.string().min(1), z.string().min(1)).optional(),
        /** Output fields compared for the agreement metric (default: all mapped fields). */
        compare: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** A destination a replay may send dead letters to, besides their origin; on the source's broker. */
export const replayTargetConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('kafka'), topic: z.string().min(1) }).strict(),
  z
    .object({
      kind: z.literal('rabbitmq'),
      /** `""` is the default exchange: the routing key names a queue. */
      exchange: z.string().default(''),
      routingKey: z.string().default(''),
    })
    .strict(),
]);

/** Replay of this connector's dead letters (`modelbridge replay`, the control API). */
export const replaySchema = z
  .object({
    /** Replays of one message before a replay parks it instead, so that loops end. */
    maxReplays: z.number().int().min(0).max(100).default(3),
    /** RabbitMQ: the queue holding the dead letters; default `deadLetter.queue`, else its routing key on the default exchange. */
    queue: z.string().min(1).optional(),
    /** Where messages past `maxReplays` go, with their history; default beside the DLQ: topic / queue `<name>.parked`. */
    parkingLot: sinkSchema.optional(),
    /** Destinations besides each message's origin that a replay may target, on the source's broker. */
    targets: z.array(replayTargetConfigSchema).default([]),
  })
  .strict();

export const connectorConfigSchema = z
  .object({
    name,
    source: sourceSchema,
    decode: decodeSchema.default({ format: 'cloudevents', type: 'com.modelbridge.json' }),
    /** key: per-key order, keys in parallel (default); partition: one at a time per lane; none: no order. */
    ordering: z.enum(['key', 'partition', 'none']).default('key'),
    /**
     * Events received and not yet acked (waiting on their key, calling the model or publishing): intake
     * pauses when either bound is reached. `maxEvents` defaults to max(1024, 4 × concurrency.max), so
     * that enough distinct keys are buffered to keep `concurrency.max` model calls busy.
     */
    intake: z
      .object({
        maxEvents: z.number().int().min(1).max(1_000_000).optional(),
        /** Bytes of buffered message keys and values. */
        maxBytes: byteSize.default(16 * 1_048_576),
      })
      .strict()
      .default({ maxBytes: 16 * 1_048_576 }),
    inference: inferenceSchema,
    enriched: z
      .object({
        /** CloudEvent type of enriched events; default: the input type + `.enriched`. */
        type: z.string().min(1).optional(),
        /** CloudEvent source of enriched events; default `/modelbridge/<connector name>`. */
        source: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    sink: sinkSchema,
    deadLetter: sinkSchema,
    /**
     * Publishes of enriched events and dead letters are retried until the broker confirms them (at-least-once),
     * with this backoff (capped, full jitter, honouring a broker's retry hint); only shutdown ends them.
     */
    publish: z
      .object({
        minDelay: duration.default(100),
        maxDelay: duration.default(5000),
      })
      .strict()
      .default({ minDelay: 100, maxDelay: 5000 }),
    replay: replaySchema.default({ maxReplays: 3, targets: [] }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { retry, breaker } = config.inference;
    for (const [path, backoff] of [
      [['inference', 'retry'], retry],
      [['inference', 'waitForModel'], config.inference.waitForModel],
      [['publish'], config.publish],
    ] as const) {
      if (backoff.minDelay > backoff.maxDelay) ctx.addIssue({ code: 'custom', path: [...path, 'minDelay'], message: 'must not exceed maxDelay' });
    }
    const { batch, concurrency, backend } = config.inference;
    if (batch.maxSize > 1 && backend.kind !== 'kserve-http' && backend.kind !== 'kserve-grpc') {
      ctx.addIssue({ code: 'custom', path: ['inference', 'batch', 'maxSize'], message: 'micro-batching needs an Open Inference Protocol backend (kserve-http or kserve-grpc)' });
    }
    if (concurrency.min > concurrency.max) {
      ctx.addIssue({ code: 'custom', path: ['inference', 'concurrency', 'min'], message: 'must not exceed max' });
    }
    if (breaker.resetTimeout < 10) {
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
export type BrokerTlsConfig = z.infer<typeof brokerTlsSchema>;
export type MemorySourceConfig = z.infer<typeof memorySourceSchema>;
export type MemorySinkConfig = z.infer<typeof memorySinkSchema>;
export type DecodeConfig = ConnectorConfig['decode'];
export type InferenceConfig = ConnectorConfig['inference'];
export type ReplayConfig = ConnectorConfig['replay'];
export type ReplayTargetConfig = z.infer<typeof replayTargetConfigSchema>;
