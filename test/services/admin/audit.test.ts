/**
 * The audit trail file: appended records read back newest first across many read chunks, cursors that
 * only land on record boundaries, and a write that fails (file or topic) failing the append.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sink } from '../../../connectors/types.ts';
import { AuditWriteError, createAuditLog } from '../../../services/admin/audit.ts';
import type { AuditRecord } from '../../../services/admin/audit.ts';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'mb-audit-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const actor = { sub: 'u-1', username: 'ada' };

describe('audit log', () => {
  it('reads back every record newest first, in pages, across 64 KiB chunk boundaries', async () => {
    const audit = createAuditLog({ file: join(dir, 'a.jsonl') });
    const n = 400;
    // Records of varying size (some over 1 KiB) so lines straddle chunk boundaries.
    for (let i = 0; i < n; i++) await audit.append({ actor, action: 'replay.dry-run', target: `t-${i}`, outcome: 'ok', detail: 'x'.repeat((i * 37) % 1500) });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await audit.read({ limit: 33, cursor });
      seen.push(...page.items.map((r) => r.target));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => `t-${n - 1 - i}`));
    await audit.close();
  });

  it('every line is one JSON record with id, time, actor, action, target and outcome', async () => {
    const audit = createAuditLog({ file: join(dir, 'a.jsonl'), now: () => new Date('2026-11-30T12:00:00Z') });
    const record = await audit.append({ actor, action: 'connector.pause', target: 'orders', outcome: 'ok' });
    await audit.close();
    const lines = readFileSync(join(dir, 'a.jsonl'), 'utf8').split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({ id: record.id, time: '2026-11-30T12:00:00.000Z', actor, action: 'connector.pause', target: 'orders', outcome: 'ok' });
  });

  it('appends to an existing trail and never rewrites it', async () => {
    const file = join(dir, 'a.jsonl');
    appendFileSync(file, `${JSON.stringify({ id: 'old', action: 'connector.pause' })}\n`);
    const audit = createAuditLog({ file });
    await audit.append({ actor, action: 'connector.resume', target: 'orders', outcome: 'ok' });
    await audit.close();
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(`${JSON.stringify({ id: 'old', action: 'connector.pause' })}\n`)).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(2);
  });

  it('an empty or missing trail reads as empty; a cursor off a record boundary is refused', async () => {
    const audit = createAuditLog({ file: join(dir, 'a.jsonl') });
    expect(await audit.read({ limit: 10 })).toEqual({ items: [], nextCursor: undefined });
    await audit.append({ actor, action: 'connector.pause', target: 'orders', outcome: 'ok' });
    await expect(audit.read({ limit: 10, cursor: '5' })).rejects.toBeInstanceOf(RangeError);
    await expect(audit.read({ limit: 10, cursor: '999999' })).rejects.toBeInstanceOf(RangeError);
    await audit.close();
  });

  it('fails the append when the file cannot be written', async () => {
    const audit = createAuditLog({ file: join(dir, 'missing', 'a.jsonl') });
    await expect(audit.append({ actor, action: 'connector.pause', target: 'orders', outcome: 'ok' })).rejects.toBeInstanceOf(AuditWriteError);
    await audit.close();
  });

  it('fails the append when the topic does not confirm; the file keeps the line (records are never removed)', async () => {
    const published: string[] = [];
    let refuse = true;
    const sink: Sink = {
      kind: 'test',
      async publish(message) {
        if (refuse) throw new Error('broker down');
        published.push(String(message.value));
      },
      start: async () => undefined,
      status: () => ({ connected: true }),
      close: async () => undefined,
    };
    const audit = createAuditLog({ file: join(dir, 'a.jsonl'), sink });
    await expect(audit.append({ actor, action: 'connector.pause', target: 'orders', outcome: 'ok' })).rejects.toBeInstanceOf(AuditWriteError);
    refuse = false;
    const record = await audit.append({ actor, action: 'connector.resume', target: 'orders', outcome: 'ok' });
    expect(published.map((line) => (JSON.parse(line) as AuditRecord).id)).toEqual([record.id]);
    await audit.close();
  });
});
