/**
 * The Keycloak realm export and the compose stack's control API configuration agree: the roles the
 * API maps, an audience mapper that puts the API's client id into `aud` (Keycloak does not by
 * default), service accounts holding the roles, and an admin config that validates with the compose
 * environment and names this realm's issuer and audience.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { adminConfigSchema } from '../../../schemas/admin-config.ts';
import { loadConfigWith } from '../../../schemas/load-config.ts';

interface Realm {
  realm: string;
  roles: { realm: { name: string; composite?: boolean; composites?: { realm: string[] } }[] };
  clients: {
    clientId: string;
    serviceAccountsEnabled?: boolean;
    publicClient?: boolean;
    standardFlowEnabled?: boolean;
    redirectUris?: string[];
    attributes?: Record<string, string>;
    protocolMappers?: { protocolMapper: string; config: Record<string, string> }[];
  }[];
  users: { username: string; serviceAccountClientId?: string; realmRoles: string[] }[];
}

const realm = JSON.parse(readFileSync('deploy/keycloak/modelbridge-realm.json', 'utf8')) as Realm;
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
};

describe('deploy/keycloak', () => {
  it('defines viewer < operator < admin as composite realm roles', () => {
    const roles = Object.fromEntries(realm.roles.realm.map((role) => [role.name, role.composites?.realm ?? []]));
    expect(roles).toEqual({ viewer: [], operator: ['viewer'], admin: ['operator'] });
  });

  it('every client-credentials client gets the API audience in its access tokens', () => {
    const services = realm.clients.filter((client) => client.serviceAccountsEnabled);
    expect(services.map((c) => c.clientId).sort()).toEqual(['ops-admin', 'ops-operator', 'ops-viewer']);
    for (const client of services) {
      expect(client.protocolMappers).toContainEqual(
        expect.objectContaining({ protocolMapper: 'oidc-audience-mapper', config: expect.objectContaining({ 'included.client.audience': 'modelbridge', 'access.token.claim': 'true' }) }),
      );
    }
    expect(realm.clients.map((c) => c.clientId)).toContain('modelbridge');
  });

  it('each service account holds the role its name says', () => {
    for (const role of ['viewer', 'operator', 'admin']) {
      expect(realm.users.find((u) => u.serviceAccountClientId === `ops-${role}`)?.realmRoles).toContain(role);
    }
  });

  it('the console signs people in as a public client with PKCE, whose tokens carry the API audience', () => {
    const console = realm.clients.find((c) => c.clientId === 'modelbridge-console')!;
    expect(console).toMatchObject({ publicClient: true, standardFlowEnabled: true, attributes: { 'pkce.code.challenge.method': 'S256' } });
    expect(console.protocolMappers).toContainEqual(expect.objectContaining({ protocolMapper: 'oidc-audience-mapper', config: expect.objectContaining({ 'included.client.audience': 'modelbridge' }) }));
    expect(console.redirectUris).toEqual(['http://localhost:9464/console/callback', 'http://localhost:9465/console/callback']);
    for (const role of ['viewer', 'operator', 'admin']) expect(realm.users.find((u) => u.username === `dev-${role}`)?.realmRoles).toContain(role);
  });

  it('the workers in compose load the control API config, which validates and names this realm', () => {
    for (const name of ['worker-kafka', 'worker-rabbitmq']) {
      const service = compose.services[name]!;
      const inContainer = service.command![service.command!.indexOf('--admin-config') + 1]!;
      const mount = service.volumes!.find((volume) => volume.split(':')[1] === inContainer)!;
      const file = mount.split(':')[0]!;
      const config = loadConfigWith(adminConfigSchema, readFileSync(file, 'utf8'), { file, env: service.environment ?? {}, readFile: (path) => readFileSync(path, 'utf8') });
      expect(config.auth).toMatchObject({ mode: 'oidc', issuer: `http://localhost:8080/realms/${realm.realm}`, audience: 'modelbridge' });
      expect(config.audit.kafka?.brokers).toEqual([service.environment!.KAFKA_BROKERS]);
      expect(config.console?.clientId).toBe('modelbridge-console');
    }
    const keycloak = compose.services.keycloak!;
    expect(keycloak.command).toContain('--import-realm');
    expect(keycloak.volumes!.some((volume) => volume.startsWith('./deploy/keycloak/modelbridge-realm.json:/opt/keycloak/data/import/'))).toBe(true);
  });
});
