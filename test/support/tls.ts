/**
 * Throw-away certificates for the secured-transport tests, made with the `openssl` CLI: a CA, a server
 * certificate for the loopback address and client certificates, all PEM. Keys are unencrypted PKCS#8
 * EC P-256 (quick to make; Kafka's PEM key store and Erlang's TLS read them as they are).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its private key, PEM. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** A certificate authority that can sign further certificates. */
export interface TestCa extends KeyPair {
  /** Signs a server certificate valid for `127.0.0.1` and `localhost`. */
  server(commonName?: string): KeyPair;
  /** Signs a client certificate whose subject is `CN=<commonName>`. */
  client(commonName: string): KeyPair;
}

/** A new self-signed CA; its files live in a temporary directory removed when this process exits. */
export function createTestCa(name = 'modelbridge test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'modelbridge-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = (base: string): string => join(dir, base);
  newKey(file('ca.key'));
  openssl(['req', '-x509', '-new', '-key', file('ca.key'), '-subj', `/CN=${name}`, '-days', '2', '-out', file('ca.crt'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 0;

  function sign(commonName: string, extensions: string[]): KeyPair {
    const base = file(`leaf-${++serial}`);
    newKey(`${base}.key`);
    openssl(['req', '-new', '-key', `${base}.key`, '-subj', `/CN=${commonName}`, '-out', `${base}.csr`]);
    writeFileSync(`${base}.ext`, `${extensions.join('\n')}\n`);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', String(1000 + serial),
      '-days', '2', '-extfile', `${base}.ext`, '-out', `${base}.crt`]);
    return { cert: readFileSync(`${base}.crt`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') };
  }

  return {
    cert: readFileSync(file('ca.crt'), 'utf8'),
    key: readFileSync(file('ca.key'), 'utf8'),
    server: (commonName = 'localhost') =>
      sign(commonName, ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth', 'keyUsage=critical,digitalSignature']),
    client: (commonName) => sign(commonName, ['extendedKeyUsage=clientAuth', 'keyUsage=critical,digitalSignature']),
  };
}

function newKey(path: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stderr}`);
}
