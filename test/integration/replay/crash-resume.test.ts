/**
 * The replay process killed midway (SIGKILL), interrupted (SIGINT → exit 130), then rerun with the same
 * job id: every selected dead letter reaches the source at least once, duplicates are counted and stay
 * within the job's in-flight window plus one commit interval, and the others are never touched.
 */
import { describe, expect, it } from 'vitest';
import { WINDOW } from '../../../services/replay/job.ts';
import { waitFor } from '../../support/wait-for.ts';
import { CONNECTOR, spawnCli, testEvent, useReplayEnv } from './replay-env.ts';

const SELECTED = 300;
const OTHERS = 40;
const RATE = 150;

for (const broker of ['kafka', 'rabbitmq'] as const) {
  describe(`replay process crash and resume over ${broker}`, () => {
    const ctx = useReplayEnv(broker);

    it('SIGKILL midway, SIGINT, then a rerun with --job delivers every selected message at least once', async () => {
      const e = await ctx.create();
      const selected = Array.from({ length: SELECTED }, (_, i) => testEvent(i, 'marker'));
      const others = Array.from({ length: OTHERS }, (_, i) => testEvent(SELECTED + i, 'ok'));
      await e.seed(selected, 'INFERENCE_REJECTED');
      await e.seed(others, 'MAPPING_FAILED');
      const file = e.configFile();
      const args = ['replay', '--config', file, '--from', CONNECTOR, '--code', 'INFERENCE_REJECTED', '--rate', String(RATE), '--job', 'crash-job'];

      // 1. Killed midway: the job stops without any cleanup.
      const first = spawnCli(args);
      await waitFor(async () => (await e.sourceCount()) >= 60, { timeoutMs: 30_000, intervalMs: 50, what: 'the first run to move some' });
      first.child.kill('SIGKILL');
      expect(await first.exit).toBe(-1);

      // 2. Interrupted: it cancels, lets publishes in flight settle, and exits 130.
      const second = spawnCli(args);
      const afterKill = await e.sourceCount();
      await waitFor(async () => (await e.sourceCount()) >= afterKill + 30, { timeoutMs: 30_000, intervalMs: 50, what: 'the second run to move some' });
      second.child.kill('SIGINT');
      expect(await second.exit).toBe(130);
      const interrupted = JSON.parse(second.stdout()) as { state: string; progress: { moved: number } };
      expect(interrupted.state).toBe('cancelled');
      expect(interrupted.progress.moved).toBeGreaterThan(0);

      // 3. Rerun to the end.
      const third = spawnCli(args.filter((a, i) => a !== '--rate' && args[i - 1] !== '--rate'));
      expect(await third.exit, third.stderr()).toBe(0);
      const summary = JSON.parse(third.stdout()) as { state: string; progress: { moved: number; failed: number } };
      expect(summary).toMatchObject({ state: 'succeeded', progress: { failed: 0 } });

      const keys = await e.sourceKeys();
      const unique = new Set(keys);
      const missing = selected.map((s) => s.key).filter((k) => !unique.has(k));
      const duplicates = keys.length - unique.size;
      // One kill: at most the publishes in flight, plus (Kafka) what was settled since the last commit;
      // commits run every 200 ms, so a second at the rate is a generous allowance for a slow commit.
      const bound = WINDOW + RATE;
      console.info(`[${broker}] crash/resume: ${SELECTED} selected, ${keys.length} delivered, missing ${missing.length}, duplicates ${duplicates} (bound ${bound})`);
      expect(missing).toEqual([]);
      expect([...unique].every((k) => selected.some((s) => s.key === k))).toBe(true);
      expect(duplicates).toBeLessThanOrEqual(bound);
      const left = await e.deadLetters();
      expect(left.filter((v) => v.code === 'MAPPING_FAILED')).toHaveLength(OTHERS);
      if (broker === 'rabbitmq') expect(left).toHaveLength(OTHERS);
    });
  });
}
