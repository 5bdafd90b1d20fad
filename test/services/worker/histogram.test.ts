import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from '../../../services/worker/histogram.ts';

describe('FastHistogram', () => {
  it('exposes the same text as prom-client’s Histogram for the same observations', async () => {
    const buckets = [0.01, 0.1, 1];
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new FastHistogram({ name: 'h_seconds', help: 'h', labelNames: ['connector', 'outcome'], buckets, registers: [ours] });
    const reference = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['connector', 'outcome'], buckets, registers: [theirs] });
    const values = [0.005, 0.01, 0.05, 0.5, 1, 3, 0];
    const series = fast.labels('c1', 'succeeded');
    for (const value of values) {
      series.observe(value);
      reference.observe({ connector: 'c1', outcome: 'succeeded' }, value);
    }
    fast.labels('c1', 'dead_lettered').observe(2);
    reference.observe({ connector: 'c1', outcome: 'dead_lettered' }, 2);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('resolves a label set once and refuses a wrong label count', () => {
    const fast = new FastHistogram({ name: 'x_seconds', help: 'x', labelNames: ['connector'], buckets: [1], registers: [] });
    expect(fast.labels('a')).toBe(fast.labels('a'));
    expect(() => fast.labels('a', 'b')).toThrow(/takes 1 label/);
  });

  it('resets with the registry', async () => {
    const registry = new Registry();
    const fast = new FastHistogram({ name: 'r_seconds', help: 'r', labelNames: [], buckets: [1], registers: [registry] });
    fast.labels().observe(0.5);
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('r_seconds_count 0');
  });
});
