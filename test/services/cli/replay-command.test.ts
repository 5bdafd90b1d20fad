import { describe, expect, it } from 'vitest';
import { runDlqList, runDlqShow } from '../../../services/cli/dlq-command.ts';
import { parseTarget, parseTime, toReplayRequest } from '../../../services/cli/replay-args.ts';
import { runReplayCommand } from '../../../services/cli/replay-command.ts';
import type { OperationsIo } from '../../../services/cli/replay-command.ts';
import { CONNECTOR, memorySetup } from '../replay/memory-setup.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');

function io(tty = false, interrupted = new AbortController().signal): OperationsIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text), isTTY: tty },
    stderr: { write: (text: string) => (err += text), isTTY: tty },
    now: () => NOW,
    interrupted,
    out: () => out,
    err: () => err,
  };
}

const actor = { sub: 'cli:ops' };

describe('replay flags', () => {
  it('turns flags into a request: lists, windows, headers, target and controls', () => {
    const request = toReplayRequest(
      {
        from: `${CONNECTOR}/orders.dlq.parked`,
        to: 'rabbitmq:orders/retry',
        code: ['INFERENCE_REJECTED,MAPPING_FAILED'],
        since: '2h',
        until: '2026-03-01T11:30:00Z',
        window: 'first',
        header: ['x-region=eu=west'],
        where: 'value.amount > 10',
        rate: 50,
        max: 10,
        job: 'j-1',
      },
      NOW,
    );
    expect(request).toMatchObject({
      from: { connector: CONNECTOR, name: 'orders.dlq.parked' },
      to: { kind: 'rabbitmq', exchange: 'orders', routingKey: 'retry' },
      filter: {
        codes: ['INFERENCE_REJECTED', 'MAPPING_FAILED'],
        window: { field: 'first', since: '2026-03-01T10:00:00.000Z', until: '2026-03-01T11:30:00.000Z' },
        headers: { 'x-region': 'eu=west' },
        predicate: 'value.amount > 10',
      },
      rate: 50,
      max: 10,
      jobId: 'j-1',
    });
    expect(parseTarget('kafka:orders.retry')).toEqual({ kind: 'kafka', topic: 'orders.retry' });
    expect(parseTarget('rabbitmq:orders.in')).toEqual({ kind: 'rabbitmq', exchange: '', routingKey: 'orders.in' });
    expect(() => parseTarget('s3:bucket')).toThrow('--to s3:bucket');
    expect(() => parseTime('--since', 'yesterday', NOW)).toThrow('--since yesterday');
    expect(() => toReplayRequest({ from: CONNECTOR, header: ['novalue'] }, NOW)).toThrow('--header novalue');
  });
});

describe('modelbridge replay', () => {
  it('prints a JSON summary when not on a terminal and exits 0 when done', async () => {
    const s = memorySetup();
    s.deadLetter([{ id: 'a', code: 'INFERENCE_REJECTED' }, { id: 'b', code: 'MAPPING_FAILED' }]);
    const out = io();
    expect(await runReplayCommand(s.service, { from: CONNECTOR, code: ['INFERENCE_REJECTED'], job: 'cli-1' }, actor, out)).toBe(0);
    const summary = JSON.parse(out.out()) as { id: string; state: string; progress: { moved: number } };
    expect(summary).toMatchObject({ id: 'cli-1', state: 'succeeded', progress: { moved: 1 } });
    expect(out.err()).toContain('replay job cli-1 started');
    expect(s.ids('in')).toEqual(['a']);
  });

  it('draws a progress bar and a human summary on a terminal', async () => {
    const s = memorySetup();
    s.deadLetter([{ id: 'a', code: 'INFERENCE_REJECTED' }]);
    const out = io(true);
    expect(await runReplayCommand(s.service, { from: CONNECTOR, job: 'tty' }, actor, out)).toBe(0);
    expect(out.err()).toMatch(/\[#+\] 100%\s+moved 1/);
    expect(out.err()).toContain('job tty: succeeded');
    expect(out.out()).toBe('');
  });

  it('dry run prints the counts and moves nothing', async () => {
    const s = memorySetup();
    s.deadLetter([{ id: 'a', code: 'INFERENCE_REJECTED' }, { id: 'b', code: 'MAPPING_FAILED' }]);
    const out = io();
    expect(await runReplayCommand(s.service, { from: CONNECTOR, code: ['MAPPING_FAILED'], dryRun: true }, actor, out)).toBe(0);
    expect(JSON.parse(out.out())).toMatchObject({ dryRun: true, matched: 1, byCode: { MAPPING_FAILED: 1 } });
    expect(s.ids('dlq')).toEqual(['a', 'b']);
  });

  it('exits 1 on a refused request, with the reason and no stack', async () => {
    const s = memorySetup();
    const out = io();
    expect(await runReplayCommand(s.service, { from: CONNECTOR, to: 'kafka:elsewhere' }, actor, out)).toBe(1);
    expect(out.err()).toMatch(/^modelbridge replay: TARGET_NOT_ALLOWED: /);
    expect(out.err()).not.toContain('    at ');
    expect(await runReplayCommand(s.service, { from: 'unknown' }, actor, out)).toBe(1);
    expect(out.err()).toContain('UNKNOWN_CONNECTOR');
  });

  it('exits 130 when interrupted, and a rerun with the job id finishes the rest', async () => {
    const s = memorySetup();
    s.deadLetter(Array.from({ length: 40 }, (_, i) => ({ id: `m${i}`, code: 'INFERENCE_REJECTED' as const })));
    const controller = new AbortController();
    const first = io(false, controller.signal);
    const running = runReplayCommand(s.service, { from: CONNECTOR, rate: 20, job: 'resumable' }, actor, first);
    setTimeout(() => controller.abort(), 150);
    expect(await running).toBe(130);
    const interrupted = JSON.parse(first.out()) as { state: string; progress: { moved: number } };
    expect(interrupted.state).toBe('cancelled');
    expect(interrupted.progress.moved).toBeLessThan(40);
    const second = io();
    expect(await runReplayCommand(s.service, { from: CONNECTOR, job: 'resumable' }, actor, second)).toBe(0);
    expect(s.ids('in')).toHaveLength(40);
    expect(new Set(s.ids('in')).size).toBe(40);
  });
});

describe('modelbridge dlq', () => {
  it('lists counts and a page, and shows one message in full', async () => {
    const s = memorySetup();
    s.deadLetter([{ id: 'a', code: 'INFERENCE_REJECTED', text: 'y'.repeat(3000) }, { id: 'b', code: 'MAPPING_FAILED' }]);
    const tty = io(true);
    expect(await runDlqList(s.service, { from: CONNECTOR, limit: 1 }, tty)).toBe(0);
    expect(tty.out()).toContain('dead letters: 2');
    expect(tty.out()).toMatch(/1\s+INFERENCE_REJECTED/);
    expect(tty.out()).toContain('next page: --cursor 1');
    const json = io();
    expect(await runDlqList(s.service, { from: CONNECTOR, code: 'MAPPING_FAILED' }, json)).toBe(0);
    expect((JSON.parse(json.out()) as { items: { eventId: string }[] }).items.map((i) => i.eventId)).toEqual(['b']);
    const shown = io();
    expect(await runDlqShow(s.service, CONNECTOR, '0', shown)).toBe(0);
    const view = JSON.parse(shown.out()) as { value: string; truncated: boolean };
    expect(view.truncated).toBe(false);
    expect(view.value).toContain('y'.repeat(3000));
    expect(await runDlqShow(s.service, CONNECTOR, '99', io())).toBe(1);
  });
});
