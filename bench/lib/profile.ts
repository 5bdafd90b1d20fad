/**
 * Summarises the worker's V8 CPU profiles (`--cpu-prof`): self time per function and per area
 * (a package under node_modules, Node internals, the project's own folders, GC, idle).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One function's (or area's) share of the samples. */
export interface SelfTime {
  readonly name: string;
  readonly self_ms: number;
  /** Percent of all samples, idle included. */
  readonly self_pct: number;
  /** Percent of busy samples (idle excluded). */
  readonly busy_pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly total_ms: number;
  readonly busy_ms: number;
  readonly top: SelfTime[];
  readonly areas: SelfTime[];
}

/** Summaries of every `.cpuprofile` in `dir`, plus their text rendering. */
export function summariseProfiles(dir: string, topN: number): { summaries: ProfileSummary[]; text: string[] } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  const summaries = files.map((f) => summariseProfile(join(dir, f), topN));
  const text: string[] = [];
  for (const s of summaries) {
    text.push(`### CPU profile ${s.file}: ${(s.busy_ms / 1000).toFixed(1)} s busy of ${(s.total_ms / 1000).toFixed(1)} s`, '');
    text.push('| area | self ms | % of busy |', '|---|---:|---:|');
    for (const a of s.areas.slice(0, 12)) text.push(`| ${a.name} | ${a.self_ms.toFixed(0)} | ${a.busy_pct.toFixed(1)} |`);
    text.push('', '| function | self ms | % of busy |', '|---|---:|---:|');
    for (const t of s.top) text.push(`| ${t.name.replace(/\|/g, '\\|')} | ${t.self_ms.toFixed(0)} | ${t.busy_pct.toFixed(1)} |`);
    text.push('');
  }
  return { summaries, text };
}

/** Self time of one profile by function and by area. */
export function summariseProfile(file: string, topN: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fnTime = new Map<string, number>();
  const areaTime = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    // timeDeltas[i] is the time before sample i; attributing it to sample i is V8's own convention.
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node) continue;
    total += ms;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    if (area === '(idle)') idle += ms;
    const name = `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
    fnTime.set(name, (fnTime.get(name) ?? 0) + ms);
    areaTime.set(area, (areaTime.get(area) ?? 0) + ms);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>): SelfTime[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([name, ms]) => ({ name, self_ms: ms, self_pct: (100 * ms) / (total || 1), busy_pct: name.startsWith('(idle)') ? 0 : (100 * ms) / (busy || 1) }));
  return {
    file: file.split('/').pop() ?? file,
    total_ms: total,
    busy_ms: busy,
    top: rank(fnTime).filter((t) => !t.name.startsWith('(idle)')).slice(0, topN),
    areas: rank(areaTime),
  };
}

function areaOf(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(program)') return '(program: native, not attributed)';
    return `(native ${functionName})`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm:${pkg[1]}`;
  if (url.startsWith('node:internal/deps/')) return `node:${url.slice('node:internal/deps/'.length).split('/')[0]} (bundled)`;
  if (url.startsWith('node:internal/')) return `node:internal/${url.slice('node:internal/'.length).split('/')[0]}`;
  if (url.startsWith('node:')) return url;
  const project = /\/(connectors|services|schemas|bench)\/([^/]+)/.exec(url);
  if (project) return `${project[1]}/${project[2]}`;
  return url;
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.*)$/.exec(url);
  if (pkg) return pkg[1]!;
  const project = /\/((?:connectors|services|schemas|bench)\/.*)$/.exec(url);
  return project ? project[1]! : url;
}
