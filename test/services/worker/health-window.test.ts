import { describe, expect, it } from 'vitest';
import { createHealthWindow } from '../../../services/worker/health-window.ts';

describe('createHealthWindow', () => {
  it('judges nothing before the minimum samples', () => {
    const window = createHealthWindow(20, 5);
    for (let i = 0; i < 4; i++) window.record(true);
    expect(window.failing).toBe(false);
    window.record(true);
    expect(window.failing).toBe(true);
  });

  it('is failing while half or more of the remembered calls failed', () => {
    const window = createHealthWindow(4, 2);
    window.record(true);
    window.record(false);
    expect(window.failing).toBe(true);
    window.record(false);
    expect(window.failing).toBe(false);
  });

  it('forgets calls older than its size', () => {
    const window = createHealthWindow(4, 2);
    for (let i = 0; i < 4; i++) window.record(true);
    expect(window.failing).toBe(true);
    for (let i = 0; i < 3; i++) window.record(false);
    expect(window.failing).toBe(false);
    for (let i = 0; i < 4; i++) window.record(false);
    window.record(true);
    expect(window.failing).toBe(false);
  });
});
