import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BUDGET_BYTES, cgroupMemoryLimit, heapChosen, heapFlags, launchHeapFlags, memoryBudget } from '../../../services/cli/heap.ts';

const MiB = 1_048_576;

describe('heap sizing from the cgroup limit', () => {
  it('gives old space 60 % of the limit and a semi-space by size, within bounds', () => {
    expect(heapFlags(512 * MiB)).toEqual(['--max-old-space-size=307', '--max-semi-space-size=16']);
    expect(heapFlags(256 * MiB)).toEqual(['--max-old-space-size=153', '--max-semi-space-size=8']);
    expect(heapFlags(320 * MiB)).toEqual(['--max-old-space-size=192', '--max-semi-space-size=16']);
    expect(heapFlags(2048 * MiB)).toEqual(['--max-old-space-size=1228', '--max-semi-space-size=32']);
    expect(heapFlags(64 * MiB)[0]).toBe('--max-old-space-size=64');
  });

  it('reads cgroup v2, then v1, and treats "max" and v1\'s huge number as no limit', () => {
    const files = (map: Record<string, string>) => (path: string) => {
      if (!(path in map)) throw new Error('ENOENT');
      return map[path]!;
    };
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': '536870912\n' }))).toBe(512 * MiB);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBeUndefined();
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '268435456' }))).toBe(256 * MiB);
    expect(cgroupMemoryLimit(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }))).toBeUndefined();
    expect(cgroupMemoryLimit(files({}))).toBeUndefined();
  });

  it('leaves the heap alone when the operator chose it or turned sizing off', () => {
    expect(heapChosen({}, [])).toBe(false);
    expect(heapChosen({ NODE_OPTIONS: '--enable-source-maps --max-old-space-size=200' }, [])).toBe(true);
    expect(heapChosen({}, ['--max-old-space-size=300'])).toBe(true);
    expect(heapChosen({ MODELBRIDGE_HEAP_SIZING: 'off' }, [])).toBe(true);
  });

  it('without a cgroup limit, sizes the heap for the memory budget (320 MiB unless MODELBRIDGE_MEMORY_BUDGET says otherwise)', () => {
    expect(DEFAULT_BUDGET_BYTES).toBe(320 * MiB);
    expect(launchHeapFlags({}, [], undefined)).toEqual(['--max-old-space-size=192', '--max-semi-space-size=16']);
    expect(launchHeapFlags({ MODELBRIDGE_MEMORY_BUDGET: '1GiB' }, [], undefined)).toEqual(['--max-old-space-size=614', '--max-semi-space-size=32']);
    expect(memoryBudget({ MODELBRIDGE_MEMORY_BUDGET: '536870912' })).toBe(512 * MiB);
    expect(memoryBudget({ MODELBRIDGE_MEMORY_BUDGET: '768MiB' })).toBe(768 * MiB);
    expect(() => memoryBudget({ MODELBRIDGE_MEMORY_BUDGET: 'lots' })).toThrow(/MODELBRIDGE_MEMORY_BUDGET: invalid size "lots"/);
  });

  it('a cgroup limit wins over the budget, and a chosen heap over both', () => {
    expect(launchHeapFlags({ MODELBRIDGE_MEMORY_BUDGET: '1GiB' }, [], 256 * MiB)).toEqual(['--max-old-space-size=153', '--max-semi-space-size=8']);
    expect(launchHeapFlags({}, ['--max-old-space-size=900'], 256 * MiB)).toEqual([]);
    expect(launchHeapFlags({ MODELBRIDGE_HEAP_SIZING: 'off' }, [], undefined)).toEqual([]);
  });

  it('the launcher refuses a budget it cannot read, before starting anything', () => {
    const result = spawnSync(process.execPath, ['services/cli/launch.ts', 'run', '--config', 'config/kafka-sentiment.yaml'], {
      env: { ...process.env, MODELBRIDGE_MEMORY_BUDGET: 'plenty', MODELBRIDGE_HEAP_SIZING: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('MODELBRIDGE_MEMORY_BUDGET: invalid size "plenty"');
  });
});
