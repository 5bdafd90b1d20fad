/**
 * The audit trail: one JSON line per operator action or replay job, appended to a file (opened for
 * appending only, synced to disk before the operation goes on) and, when configured, published to a
 * Kafka topic. Records are never edited or removed by Modelbridge. A record that cannot be written
 * fails the operation it records: {@link AuditLog.append} rejects and the caller does not act.
 */
import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Sink } from '../../connectors/types.ts';
import type { ReplayJobListener } from '../replay/types.ts';
import type { Principal } from './auth.ts';

export type AuditAction = 'connector.pause' | 'connector.resume' | 'replay.start' | 'replay.dry-run' | 'replay.cancel' | 'replay.finished';

/** One line of the trail. */
export interface AuditActor {
  readonly sub: string;
  readonly username: string | undefined;
}

/** Who a record names: the verified caller's subject and username (the role is the API's business, not the trail's). */
export function actorOf(principal: Principal): AuditActor {
  return { sub: principal.sub, username: principal.username };
}

export interface AuditRecord {
  /** Unique id of the record. */
  readonly id: string;
  /** ISO-8601, when it was written. */
  readonly time: string;
  readonly actor: AuditActor;
  readonly action: AuditAction;
  /** Connector name or replay job id. */
  readonly target: string;
  /** `ok`, `refused` (role too low), `failed`, or a finished job's state. */
  readonly outcome: string;
  /** The replay request (source, target, filters, rate, max) where it applies. */
  readonly filter?: unknown;
  /** Replay counters or dry-run counts. */
  readonly counts?: unknown;
  readonly detail?: string | undefined;
}

export type AuditEntry = Omit<AuditRecord, 'id' | 'time'>;

export interface AuditPage {
  /** Newest first. */
  readonly items: readonly AuditRecord[];
  /** Pass as `cursor` for older records; absent at the start of the trail. */
  readonly nextCursor: string | undefined;
}

export interface AuditLog {
  /** Writes one record (file, then topic). Rejects when either write fails. */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** Reads newest first, `limit` records, from `cursor` (opaque) backwards. */
  read(options: { limit: number; cursor?: string | undefined }): Promise<AuditPage>;
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

/** The record could not be written; the operation it records must not happen. */
export class AuditWriteError extends Error {
  override readonly name: string = 'AuditWriteError';
}

/** An append-only audit trail in `file`, mirrored to `sink` (a Kafka topic) when given. */
export function createAuditLog(options: { file: string; sink?: Sink | undefined; now?: () => Date }): AuditLog {
  const { file, sink } = options;
  const now = options.now ?? (() => new Date());
  let handle: Promise<FileHandle> | undefined;
  // One write at a time, so lines never interleave and the file order is the order of the records.
  let queue: Promise<unknown> = Promise.resolve();

  function appendHandle(): Promise<FileHandle> {
    handle ??= open(file, 'a', 0o640);
    handle.catch(() => (handle = undefined));
    return handle;
  }

  async function write(record: AuditRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const fd = await appendHandle();
    await fd.write(line);
    await fd.datasync();
    if (sink) await sink.publish({ key: record.target, value: line.slice(0, -1), headers: {}, contentType: 'application/json' });
  }

  return {
    append(entry) {
      const record: AuditRecord = { id: randomUUID(), time: now().toISOString(), ...entry };
      const written = queue.then(() => write(record)).catch((error: unknown) => {
        throw new AuditWriteError('the audit record could not be written', { cause: error });
      });
      queue = written.catch(() => undefined);
      return written.then(() => record);
    },
    async read({ limit, cursor }) {
      let fd: FileHandle;
      try {
        fd = await open(file, 'r');
      } catch (error) {
        if ((error as { code?: unknown }).code === 'ENOENT') return { items: [], nextCursor: undefined };
        throw error;
      }
      try {
        const end = cursor === undefined ? (await fd.stat()).size : Number(cursor);
        return await readBackwards(fd, end, limit);
      } finally {
        await fd.close();
      }
    },
    async close() {
      await queue;
      const current = handle;
      handle = undefined;
      if (current) await (await current).close();
      if (sink) await sink.close();
    },
  };
}

/** Complete lines ending at or before byte `end`, newest first; the cursor is where the oldest one starts. */
async function readBackwards(fd: FileHandle, end: number, limit: number): Promise<AuditPage> {
  const size = (await fd.stat()).size;
  if (!Number.isSafeInteger(end) || end < 0 || end > size || (end > 0 && !(await endsLine(fd, end)))) {
    throw new RangeError('invalid audit cursor');
  }
  const items: AuditRecord[] = [];
  let position = end;
  // A line whose start lies before `position` and has not been read yet.
  let carry = Buffer.alloc(0);
  while (position > 0) {
    const start = Math.max(0, position - CHUNK);
    const chunk = Buffer.alloc(position - start);
    await fd.read(chunk, 0, chunk.length, start);
    const data = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
    position = start;
    carry = Buffer.alloc(0);
    // Walk the lines from the last newline back (a line cut short by a crash at the end is left out).
    let lineEnd = data.lastIndexOf(0x0a);
    while (lineEnd >= 0) {
      const previous = lineEnd === 0 ? -1 : data.lastIndexOf(0x0a, lineEnd - 1);
      if (previous === -1 && start > 0) {
        carry = data.subarray(0, lineEnd + 1);
        break;
      }
      const lineStart = previous + 1;
      if (lineEnd > lineStart) items.push(JSON.parse(data.toString('utf8', lineStart, lineEnd)) as AuditRecord);
      if (items.length === limit) return { items, nextCursor: start + lineStart > 0 ? String(start + lineStart) : undefined };
      lineEnd = previous;
    }
  }
  return { items, nextCursor: undefined };
}

async function endsLine(fd: FileHandle, end: number): Promise<boolean> {
  const byte = Buffer.alloc(1);
  await fd.read(byte, 0, 1, end - 1);
  return byte[0] === 0x0a;
}

/** Writes `replay.start` and `replay.finished` records for every job of `replay`, whoever started it. */
export function auditReplayJobs(audit: AuditLog): ReplayJobListener {
  return async (event) => {
    const { job } = event;
    const { filter, from, to, rate, max } = job.request;
    await audit.append({
      actor: { sub: job.actor.sub, username: job.actor.username },
      action: event.type === 'started' ? 'replay.start' : 'replay.finished',
      target: job.id,
      outcome: event.type === 'started' ? 'ok' : job.state,
      filter: { from, to, filter, rate, max },
      counts: job.progress,
      detail: job.error,
    });
  };
}
