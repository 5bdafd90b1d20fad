/**
 * One AMQP connection with one channel, kept alive across broker restarts and network loss.
 *
 * Reconnecting uses amqplib's own recovery (2.x: `connect(url, { recovery })`): exponential backoff with
 * ±20 % jitter from `reconnectDelayMs` up to 30 s, retried forever, and `close()` cancels a pending
 * attempt. amqplib recovers the *connection* only; channels, topology and consumers are ours to rebuild,
 * which `setup` does on every (re)connect. A channel the broker closes on its own (a 404 or 406 channel
 * error, a cancelled consumer) ends the whole session: we close the connection so that recovery builds a
 * fresh one with the same backoff — one path for every failure instead of two half-tested ones.
 *
 * A session is one channel's life. Its delivery tags and publisher confirms mean nothing on any other
 * channel, so callers keep the session with each delivery and check `alive` before acking.
 *
 * A refusal before the first connection ever succeeded (the broker rejects the login, or TLS fails) is
 * not retried: `ready()` rejects with BROKER_AUTH_FAILED or BROKER_TLS_FAILED and recovery stops. A
 * wrong password would otherwise look like a broker that is merely slow to come up, forever. Once
 * connected, the same refusal on a reconnect is retried like any outage (credentials may be restored).
 */
import type { ConnectionOptions } from 'node:tls';
import { connect, credentials } from 'amqplib';
import type { Channel, ChannelModel, RecoveringChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import type { BrokerTlsConfig } from '../../schemas/connector-config.ts';
import { tlsConnectionOptions, toTlsError } from '../broker-security.ts';
import { ModelbridgeError } from '../../schemas/errors.ts';

/** Upper bound of the reconnect backoff. */
export const MAX_RECONNECT_DELAY_MS = 30_000;
/** TCP connect + AMQP handshake timeout of one attempt. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface AmqpSession<C extends Channel> {
  readonly channel: C;
  /** False once the channel (or its connection) closed. */
  alive: boolean;
}

/** How a connection authenticates: TLS options for `amqps://` and the SASL mechanism. */
export interface AmqpSecurity {
  readonly tls: ConnectionOptions | undefined;
  readonly external: boolean;
}

/**
 * The security part of a source or sink config, loaded once (a PEM that cannot be read fails here, when
 * the worker is built).
 */
export function amqpSecurity(config: { readonly tls?: BrokerTlsConfig | undefined; readonly auth: 'plain' | 'external' }): AmqpSecurity {
  return { tls: config.tls ? tlsConnectionOptions(config.tls, 'rabbitmq tls') : undefined, external: config.auth === 'external' };
}

/** amqplib's connect options of every connection we open: security, no Nagle, the handshake timeout, a name. */
export function amqpConnectOptions(security: AmqpSecurity | undefined, connectionName: string) {
  return {
    ...security?.tls,
    ...(security?.external ? { credentials: credentials.external() } : {}),
    noDelay: true,
    timeout: CONNECT_TIMEOUT_MS,
    clientProperties: { connection_name: connectionName },
  };
}

/**
 * amqplib reports a login the broker refused (`connection.close` during the handshake: 403
 * ACCESS_REFUSED, 530 NOT_ALLOWED for the vhost) and a mechanism the broker does not offer only as an
 * `Error` whose message it formats itself, with no code or field to read. These two patterns of
 * amqplib's own wording are the only signal, so they are matched here, and only here.
 */
const HANDSHAKE_REFUSED = /^Handshake terminated by server: (\d{3}) /;
const MECHANISM_MISSING = /^SASL mechanism \S+ is not provided by the server/;

/** A refusal no retry fixes, as a start-up error; undefined for anything else (an unreachable broker). */
export function toAmqpRefusal(error: unknown, stage: 'receive' | 'publish'): ModelbridgeError | undefined {
  const tls = toTlsError(error, 'RabbitMQ', stage);
  if (tls) return tls;
  const message = error instanceof Error ? error.message : '';
  const refused = HANDSHAKE_REFUSED.exec(message);
  if (!refused && !MECHANISM_MISSING.test(message)) return undefined;
  return new ModelbridgeError('BROKER_AUTH_FAILED', `RabbitMQ refused the login (check the user and password in the url, or the client certificate for auth: external): ${message}`, {
    cause: error,
    stage,
    upstreamStatus: refused ? Number(refused[1]) : undefined,
  });
}

export interface AmqpConnectionOptions<C extends Channel> {
  readonly url: string;
  /** TLS material and mechanism, from {@link amqpSecurity}; plain login over the URL's scheme when absent. */
  readonly security?: AmqpSecurity | undefined;
  /** Stage of the start-up errors: `receive` (default) for a source, `publish` for a sink. */
  readonly stage?: 'receive' | 'publish' | undefined;
  /** First reconnect delay; doubles per failed attempt up to 30 s. */
  readonly reconnectDelayMs: number;
  /** Shown in the RabbitMQ management UI. */
  readonly connectionName: string;
  readonly logger: Logger;
  /** Opens the session's channel: a plain or a confirm channel. */
  readonly openChannel: (model: ChannelModel) => Promise<C>;
  /** Declares topology and starts work on a fresh session. A throw fails the attempt; it is retried. */
  readonly setup: (session: AmqpSession<C>) => Promise<void>;
  /** Called once per session when it ends, whatever the reason. */
  readonly onLost: (session: AmqpSession<C>) => void;
}

export interface AmqpConnection {
  /** Resolves after the first successful `setup`; rejects with `ABORTED` if closed before. */
  ready(): Promise<void>;
  /** Stops reconnecting and closes the connection. Idempotent. */
  close(): Promise<void>;
}

/** Connects in the background and keeps a session up until `close()`. */
export function createAmqpConnection<C extends Channel>(options: AmqpConnectionOptions<C>): AmqpConnection {
  const { logger } = options;
  let closing: Promise<void> | undefined;
  let current: AmqpSession<C> | undefined;
  let connectedOnce = false;
  /** Why the first connection can never succeed; set once, stops recovery. */
  let refusal: ModelbridgeError | undefined;

  async function openSession(model: ChannelModel): Promise<void> {
    // recovery attaches its listeners only after setup: without ours, a connection error during setup
    // would be an unhandled 'error' event and crash the process.
    model.on('error', (error: Error) => logger.warn({ err: error }, 'amqp connection error'));
    const channel = await options.openChannel(model);
    const session: AmqpSession<C> = { channel, alive: true };
    current = session;
    const end = (): void => {
      if (!session.alive) return;
      session.alive = false;
      options.onLost(session);
      if (closing === undefined) {
        // Channel died on a live connection: recycle the connection so recovery rebuilds everything.
        model.close().catch((error: unknown) => logger.debug({ err: error }, 'closing amqp connection after channel loss'));
      }
    };
    channel.on('error', (error: Error) => logger.warn({ err: error }, 'amqp channel error'));
    channel.on('close', end);
    model.on('close', end);
    await options.setup(session);
    if (!session.alive) throw new Error('channel closed during setup');
  }

  const recovering: Promise<RecoveringChannelModel> = connect(options.url, {
    ...amqpConnectOptions(options.security, options.connectionName),
    recovery: {
      initialDelay: options.reconnectDelayMs,
      maxDelay: Math.max(MAX_RECONNECT_DELAY_MS, options.reconnectDelayMs),
      factor: 2,
      jitter: 0.2,
      maxRetries: Infinity,
      waitForConnect: false,
      setup: openSession,
    },
  }).then((connection) => {
    connection.on('error', (error: Error) => logger.warn({ err: error }, 'amqp connection error'));
    connection.on('connect', () => {
      connectedOnce = true;
      logger.info('amqp connected');
    });
    connection.on('disconnect', (error: Error) => logger.warn({ err: error }, 'amqp connection lost'));
    connection.on('connect-failed', (error: Error) => {
      refusal = connectedOnce ? undefined : toAmqpRefusal(error, options.stage ?? 'receive');
      if (refusal === undefined) {
        logger.warn({ err: error }, 'amqp connect failed');
        return;
      }
      logger.error({ err: refusal }, 'amqp connection refused; not retrying');
      // amqplib's close() marks recovery stopped before its first await, so the reconnect it would
      // schedule right after this event is never scheduled.
      connection.close().catch((error: unknown) => logger.debug({ err: error }, 'closing a refused amqp connection'));
      void self.close();
    });
    connection.on('reconnect-scheduled', (info: { attempt: number; delay: number }) =>
      logger.info({ attempt: info.attempt, delayMs: info.delay }, 'amqp reconnect scheduled'),
    );
    connection.on('reconnect-failed', (error: Error) => logger.error({ err: error }, 'amqp recovery gave up'));
    connection.on('blocked', (reason: string) => logger.warn({ reason }, 'amqp connection blocked by the broker'));
    connection.on('unblocked', () => logger.info('amqp connection unblocked'));
    return connection;
  });

  const self: AmqpConnection = {
    async ready() {
      const connection = await recovering;
      try {
        await connection.waitForConnect();
      } catch (error) {
        throw refusal ?? new ModelbridgeError('ABORTED', 'amqp connection closed before it was established', { cause: error, stage: options.stage ?? 'receive' });
      }
    },
    close() {
      closing ??= (async () => {
        const connection = await recovering;
        // Close the channel first: its close-ok guarantees the broker processed every ack sent on it.
        // Closing only the connection races the channel's pending frames on the broker side, and the
        // acks of the last deliveries can be lost (they would be redelivered: duplicates).
        const session = current;
        if (session?.alive) await session.channel.close().catch((error: unknown) => logger.debug({ err: error }, 'closing amqp channel'));
        await connection.close();
      })();
      return closing;
    },
  };
  return self;
}
