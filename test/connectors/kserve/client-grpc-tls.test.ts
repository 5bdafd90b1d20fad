import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKserveGrpcClient } from '../../../connectors/kserve/client-grpc.ts';
import type { InferenceClient } from '../../../connectors/types.ts';
import { kserveGrpcBackendSchema } from '../../../schemas/connector-config.ts';
import { createModelServer } from '../../../services/model-server/server.ts';
import type { ModelServer } from '../../../services/model-server/server.ts';
import { failure, live } from '../../support/http-test-kit.ts';

interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the server does not trust. */
  rogueCert: string;
  rogueKey: string;
}

/** A throwaway CA, a server certificate for 127.0.0.1/localhost and client certificates, made with the openssl CLI. */
function makePki(dir: string): Pki {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`);
  };
  const leaf = (name: string, issuer: string, extensions: string) => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  };
  ca('test-ca');
  ca('rogue-ca');
  leaf('server', 'test-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'test-ca', 'extendedKeyUsage=clientAuth\n');
  leaf('rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return {
    ca: read('test-ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    rogueCert: read('rogue.pem'),
    rogueKey: read('rogue.key'),
  };
}

let dir: string;
let pki: Pki;
let tlsServer: ModelServer;
let mtlsServer: ModelServer;
const clients: InferenceClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mb-grpc-tls-'));
  pki = makePki(dir);
  tlsServer = createModelServer({ grpcTls: { cert: pki.serverCert, key: pki.serverKey } });
  mtlsServer = createModelServer({ grpcTls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca } });
  await Promise.all([tlsServer.start(), mtlsServer.start()]);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([tlsServer.close(), mtlsServer.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function client(server: ModelServer, tls: Record<string, string> | undefined): InferenceClient {
  const c = createKserveGrpcClient(kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url: server.grpcUrl, model: 'sentiment', tls }));
  clients.push(c);
  return c;
}

const request = { id: 't', inputs: { TEXT: ['great service'] } };

describe('kserve-grpc client over TLS', () => {
  it('infers over TLS with the CA', async () => {
    const response = await client(tlsServer, { ca: pki.ca }).infer(request, live());
    expect(response.outputs.LABEL).toEqual(['positive']);
  });

  it('honours serverName when the URL host is not in the certificate', async () => {
    const c = createKserveGrpcClient(
      kserveGrpcBackendSchema.parse({ kind: 'kserve-grpc', url: `localhost:${tlsServer.grpcUrl.split(':')[1]}`, model: 'sentiment', tls: { ca: pki.ca, serverName: 'localhost' } }),
    );
    clients.push(c);
    expect(await c.ready(AbortSignal.timeout(10_000))).toBe(true);
  });

  it('refuses a server whose certificate the CA did not sign → INFERENCE_UNAVAILABLE', async () => {
    tlsServer.stats.reset();
    const error = await failure(client(tlsServer, { ca: pki.rogueCert }).infer(request, live()));
    expect(error).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', upstreamStatus: 'UNAVAILABLE' });
    expect(tlsServer.stats.model('sentiment').requests).toBe(0);
  });

  it('a plaintext client cannot talk to the TLS endpoint', async () => {
    expect(await client(tlsServer, undefined).ready(AbortSignal.timeout(10_000))).toBe(false);
  });
});

describe('kserve-grpc client over mutual TLS', () => {
  it('infers with a client certificate the server trusts', async () => {
    const c = client(mtlsServer, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey });
    expect((await c.infer(request, live())).outputs.LABEL).toEqual(['positive']);
    expect(mtlsServer.stats.model('sentiment').requests).toBe(1);
  });

  it('refuses a client without a certificate, and one with an untrusted certificate, before any model request', async () => {
    mtlsServer.stats.reset();
    const without = await failure(client(mtlsServer, { ca: pki.ca }).infer(request, live()));
    expect(without).toMatchObject({ code: 'INFERENCE_UNAVAILABLE', retryable: true });
    const rogue = await failure(client(mtlsServer, { ca: pki.ca, cert: pki.rogueCert, key: pki.rogueKey }).infer(request, live()));
    expect(rogue).toMatchObject({ code: 'INFERENCE_UNAVAILABLE' });
    expect(mtlsServer.stats.model('sentiment').requests).toBe(0);
  });
});
