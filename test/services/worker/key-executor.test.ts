import { describe, expect, it } from 'vitest';
import { createKeyedExecutor } from '../../../services/worker/key-executor.ts';
import { waitFor } from '../../support/wait-for.ts';

describe('createKeyedExecutor', () => {
  it('runs one task at a time per key, in submission order, and keys concurrently', async () => {
    const executor = createKeyedExecutor();
    const log: string[] = [];
    const gates = new Map<string, () => void>();
    let running = 0;
    let maxRunning = 0;
    for (const key of ['a', 'b']) {
      for (let i = 0; i < 3; i++) {
        executor.submit(key, async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          log.push(`${key}${i}:start`);
          await new Promise<void>((resolve) => gates.set(`${key}${i}`, resolve));
          log.push(`${key}${i}:end`);
          running--;
        });
      }
    }
    expect(executor.activeKeys).toBe(2);
    expect(log).toEqual(['a0:start', 'b0:start']);
    gates.get('b0')!();
    await waitFor(() => gates.has('b1'));
    gates.get('a0')!();
    await waitFor(() => gates.has('a1'));
    for (const name of ['a1', 'b1']) gates.get(name)!();
    await waitFor(() => gates.has('a2') && gates.has('b2'));
    for (const name of ['a2', 'b2']) gates.get(name)!();
    await waitFor(() => executor.activeKeys === 0);
    const order = (key: string) => log.filter((entry) => entry.startsWith(key));
    expect(order('a')).toEqual(['a0:start', 'a0:end', 'a1:start', 'a1:end', 'a2:start', 'a2:end']);
    expect(order('b')).toEqual(['b0:start', 'b0:end', 'b1:start', 'b1:end', 'b2:start', 'b2:end']);
    expect(maxRunning).toBe(2);
  });

  it('moves on after a task rejects', async () => {
    const executor = createKeyedExecutor();
    let ran = false;
    executor.submit('k', () => Promise.reject(new Error('boom')));
    executor.submit('k', async () => {
      ran = true;
    });
    await waitFor(() => ran);
  });
});

describe('createKeyedExecutor as the publish stage', () => {
  it('runs the steps of one key in order, each after the previous settled, and other keys alongside', async () => {
    const steps = createKeyedExecutor();
    const log: string[] = [];
    const gates = new Map<string, () => void>();
    const step = (name: string) => () =>
      new Promise<void>((resolve) => {
        log.push(`start ${name}`);
        gates.set(name, () => {
          log.push(`end ${name}`);
          resolve();
        });
      });
    steps.submit('a', step('a1'));
    steps.submit('a', step('a2'));
    steps.submit('b', step('b1'));
    expect(log).toEqual(['start a1', 'start b1']);
    gates.get('b1')!();
    gates.get('a1')!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'end a1', 'start a2']);
    expect(steps.activeKeys).toBe(1);
    gates.get('a2')!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(steps.activeKeys).toBe(0);
  });
});
