import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastGauge } from '../../../services/worker/fast-metrics.ts';

describe('FastCounter and FastGauge', () => {
  it('expose the same text as prom-client’s Counter and Gauge for the same updates', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const counter = new FastCounter({ name: 'c_total', help: 'c', labelNames: ['connector'], registers: [ours] });
    const refCounter = new Counter({ name: 'c_total', help: 'c', labelNames: ['connector'], registers: [theirs] });
    const gauge = new FastGauge({ name: 'g', help: 'g', labelNames: ['connector', 'model'], registers: [ours] });
    const refGauge = new Gauge({ name: 'g', help: 'g', labelNames: ['connector', 'model'], registers: [theirs] });
    // Resolved but never written: no series, as prom-client's label children.
    counter.labels('idle');
    refCounter.labels('idle');
    gauge.labels('idle', 'm');
    const a = counter.labels('a');
    const refA = refCounter.labels('a');
    for (let i = 0; i < 3; i++) {
      a.inc();
      refA.inc();
    }
    counter.labels('b').inc(2);
    refCounter.labels('b').inc(2);
    const g = gauge.labels('a', 'm');
    const refG = refGauge.labels('a', 'm');
    g.inc();
    refG.inc();
    g.inc();
    refG.inc();
    g.dec();
    refG.dec();
    const bytes = gauge.labels('b', 'm');
    bytes.set(4096);
    refGauge.labels('b', 'm').set(4096);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('resolves a label set once, refuses a wrong label count and resets with the registry', async () => {
    const registry = new Registry();
    const counter = new FastCounter({ name: 'x_total', help: 'x', labelNames: ['connector'], registers: [registry] });
    expect(counter.labels('a')).toBe(counter.labels('a'));
    expect(() => counter.labels('a', 'b')).toThrow(/takes 1 label/);
    counter.labels('a').inc();
    expect(await registry.metrics()).toContain('x_total{connector="a"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('connector="a"');
    counter.labels('a').inc();
    expect(await registry.metrics()).toContain('x_total{connector="a"} 1');
  });
});
