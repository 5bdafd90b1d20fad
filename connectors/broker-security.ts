/**
 * What the Kafka and RabbitMQ connectors share about securing a broker connection: the Node TLS options
 * a config's `ssl`/`tls` section means, and the recognition of a TLS failure that no retry fixes (an
 * untrusted or mismatched certificate, a client certificate the broker refuses, TLS against a plaintext
 * port). Recognised by the error's `code` (Node's and OpenSSL's), walking the cause chain; never by text.
 */
import { createSecureContext } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import type { BrokerTlsConfig } from '../schemas/connector-config.ts';
import { ModelbridgeError, findInCauseChain } from '../schemas/errors.ts';

/**
 * The TLS options for `tls.connect`. The PEM material is loaded once here, so that a key that is not
 * PEM, or a wrong passphrase, fails when the worker is built rather than on every connection attempt.
 *
 * @throws ModelbridgeError CONFIG_INVALID naming the field's owner (`what`) and OpenSSL's error code.
 */
export function tlsConnectionOptions(tls: BrokerTlsConfig, what: string): ConnectionOptions {
  const options: ConnectionOptions = {};
  if (tls.ca !== undefined) options.ca = tls.ca;
  if (tls.cert !== undefined) options.cert = tls.cert;
  if (tls.key !== undefined) options.key = tls.key;
  if (tls.passphrase !== undefined) options.passphrase = tls.passphrase;
  if (tls.serverName !== undefined) options.servername = tls.serverName;
  try {
    createSecureContext(options);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ModelbridgeError('CONFIG_INVALID', `${what}: the CA, certificate or key cannot be loaded (${String(code ?? 'unknown')}): is it PEM, and the passphrase right?`, {
      cause: error,
    });
  }
  return options;
}

/** OpenSSL's certificate verification results as Node reports them (`err.code`). */
const VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A TLS failure: its code and what it means for the operator. */
export interface TlsFailure {
  readonly code: string;
  readonly hint: string;
}

/** The TLS failure anywhere in `error`'s cause chain (kafkajs: `cause`, `originalError`), if any. */
export function tlsFailure(error: unknown): TlsFailure | undefined {
  return findInCauseChain(error, ({ code }): TlsFailure | undefined => {
    if (typeof code !== 'string') return undefined;
    if (VERIFY_CODES.has(code)) return { code, hint: "the broker's certificate is not trusted (check the CA) or does not match its address" };
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return { code, hint: 'the broker does not speak TLS on this port' };
    // An alert from the broker during the handshake: it refused our certificate, or that we sent none.
    if (code.startsWith('ERR_SSL_') && code.includes('ALERT')) return { code, hint: 'the broker refused the TLS handshake (a client certificate it trusts is needed?)' };
    return undefined;
  });
}

/** `error` as BROKER_TLS_FAILED when it is a TLS failure; undefined otherwise. */
export function toTlsError(error: unknown, transport: string, stage: 'receive' | 'publish'): ModelbridgeError | undefined {
  const failure = tlsFailure(error);
  if (!failure) return undefined;
  return new ModelbridgeError('BROKER_TLS_FAILED', `${transport} TLS handshake failed (${failure.code}): ${failure.hint}`, {
    cause: error,
    stage,
    upstreamStatus: failure.code,
  });
}
