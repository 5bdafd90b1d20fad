/**
 * `/v1/connectors`: one view of each connector (Kafka Connect's status shape where it fits, plus
 * breaker, model readiness, in-flight, concurrency, backlog and last error) and the operator's pause
 * and resume. A pause is audited before it takes effect: when the record cannot be written, nothing
 * happens and the caller gets 503.
 */
import type { z } from 'zod';
import type { ConnectorRuntime, ConnectorSnapshot } from '../worker/connector.ts';
import type { Worker } from '../worker/worker.ts';
import { connectorListSchema, connectorNameParams, connectorStatusSchema } from './api-schemas.ts';
import { actorOf } from './audit.ts';
import type { AuditAction, AuditLog } from './audit.ts';
import { ProblemError } from './problem.ts';
import { defineRoute } from './route-spec.ts';
import type { RouteSpec } from './route-spec.ts';

export interface ConnectorRoutesDeps {
  readonly worker: Pick<Worker, 'status' | 'connector'>;
  readonly audit: AuditLog | undefined;
  /** Shown as Kafka Connect's `worker_id` (host:port). */
  readonly workerId: string;
  /** Bound on the model readiness probe of a status request. */
  readonly probeTimeoutMs: number;
}

type ConnectorStatusBody = z.infer<typeof connectorStatusSchema>;

/** The connector view and the operator's pause and resume. */
export function connectorRoutes(deps: ConnectorRoutesDeps): RouteSpec[] {
  const { worker, workerId } = deps;

  function find(name: string): ConnectorRuntime {
    const connector = worker.connector(name);
    if (!connector) throw new ProblemError(404, 'not-found', `no connector named ${name}`);
    return connector;
  }

  async function view(connector: ConnectorRuntime, signal: AbortSignal): Promise<ConnectorStatusBody> {
    const snapshot = await connector.snapshot(AbortSignal.any([signal, AbortSignal.timeout(deps.probeTimeoutMs)]));
    return toBody(snapshot, workerId);
  }

  function lifecycleRoute(action: 'pause' | 'resume'): RouteSpec {
    const auditAction: AuditAction = action === 'pause' ? 'connector.pause' : 'connector.resume';
    return defineRoute({
      method: 'PUT',
      path: `/v1/connectors/{name}/${action}`,
      operationId: `${action}Connector`,
      summary: action === 'pause' ? 'Pause intake until resumed (operator pause)' : 'Lift the operator pause',
      description:
        action === 'pause'
          ? 'Holds intake until an operator resumes it, whatever the breaker or backpressure do meanwhile. Events in flight finish. Idempotent.'
          : 'Lifts the operator pause; intake restarts unless another reason (breaker, backpressure) holds it. Idempotent.',
      tag: 'connectors',
      role: 'operator',
      audit: auditAction,
      params: connectorNameParams,
      responses: { 202: { description: 'Accepted; the body is the connector status after the change', schema: connectorStatusSchema } },
      async handler({ params, principal, signal }) {
        const connector = find(params.name);
        const state = connector.status().state;
        if (state === 'draining' || state === 'stopped' || state === 'failed') {
          throw new ProblemError(409, 'conflict', `connector ${params.name} is ${state}`);
        }
        await deps.audit?.append({ actor: actorOf(principal), action: auditAction, target: params.name, outcome: 'ok' });
        if (action === 'pause') connector.pauseByOperator();
        else connector.resumeByOperator();
        return { status: 202, body: await view(connector, signal) };
      },
    });
  }

  return [
    defineRoute({
      method: 'GET',
      path: '/v1/connectors',
      operationId: 'listConnectors',
      summary: 'Every connector of this worker, in one view',
      tag: 'connectors',
      role: 'viewer',
      responses: { 200: { description: 'The connectors', schema: connectorListSchema } },
      async handler({ signal }) {
        const names = worker.status().connectors.map((c) => c.name);
        const connectors = await Promise.all(names.map((name) => view(find(name), signal)));
        return { status: 200, body: { connectors } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/connectors/{name}',
      operationId: 'getConnector',
      summary: 'One connector: state, pause reasons, breaker, model readiness, in-flight, concurrency, backlog, last error',
      tag: 'connectors',
      role: 'viewer',
      params: connectorNameParams,
      responses: { 200: { description: 'The connector', schema: connectorStatusSchema } },
      async handler({ params, signal }) {
        return { status: 200, body: await view(find(params.name), signal) };
      },
    }),
    lifecycleRoute('pause'),
    lifecycleRoute('resume'),
  ];
}

function kafkaConnectState(snapshot: ConnectorSnapshot): ConnectorStatusBody['connector']['state'] {
  switch (snapshot.state) {
    case 'running':
      return snapshot.paused.includes('operator') ? 'PAUSED' : 'RUNNING';
    case 'failed':
      return 'FAILED';
    case 'draining':
    case 'stopped':
      return 'STOPPED';
    default:
      return snapshot.paused.includes('operator') ? 'PAUSED' : 'UNASSIGNED';
  }
}

function toBody(snapshot: ConnectorSnapshot, workerId: string): ConnectorStatusBody {
  return {
    name: snapshot.name,
    connector: { state: kafkaConnectState(snapshot), worker_id: workerId },
    lifecycle: snapshot.state,
    paused: [...snapshot.paused],
    breaker: snapshot.breaker,
    backend: { kind: snapshot.backend.kind, model: snapshot.backend.model, ready: snapshot.backend.ready ?? null },
    inFlight: snapshot.inFlight,
    concurrency: snapshot.concurrency,
    source: {
      connected: snapshot.source.connected,
      lag: snapshot.source.lag ?? null,
      ...(snapshot.backlog.partitions ? { partitions: snapshot.backlog.partitions.map((p) => ({ ...p })) } : {}),
      ...(snapshot.backlog.queue ? { queue: { ...snapshot.backlog.queue } } : {}),
    },
    sinks: { enriched: { connected: snapshot.sinkConnected }, deadLetter: { connected: snapshot.deadLetterConnected } },
    lastError: snapshot.lastError ? { ...snapshot.lastError, stage: snapshot.lastError.stage ?? null } : null,
  };
}
