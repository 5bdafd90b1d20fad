/**
 * The read-only side of the engine: dry runs and browsing. Both read with a browse reader, which
 * removes nothing and commits nothing.
 */
import type { Logger } from 'pino';
import type { ConnectorRegistry, DeadLetterStoreConfig } from '../../connectors/registry.ts';
import type { DeadLetterReader } from '../../connectors/types.ts';
import { DLQ_HEADERS } from '../../schemas/dead-letter.ts';
import { headerText, replayCountOf } from './bookkeeping.ts';
import type { MessagePredicate } from './filter.ts';
import type { ReplayPlan } from './plan.ts';
import { toView } from './view.ts';
import type { BrowsePage, BrowseQuery, DeadLetterView, DryRunResult } from './types.ts';

/** Most dead letters one browse call reads (its counts cover at most these). */
export const BROWSE_SCAN_LIMIT = 10_000;

function tally(counts: Record<string, number>, name: string | undefined): void {
  const label = name ?? '(none)';
  counts[label] = (counts[label] ?? 0) + 1;
}

async function withReader<T>(registry: ConnectorRegistry, store: DeadLetterStoreConfig, logger: Logger, cursor: string | undefined, work: (reader: DeadLetterReader) => Promise<T>): Promise<T> {
  const reader = await registry.createDeadLetterStore(store, logger).open({ kind: 'browse', cursor });
  try {
    return await work(reader);
  } finally {
    await reader.close();
  }
}

/** Counts the matches by code and connector and previews the first `previewSize`. */
export function dryRun(
  registry: ConnectorRegistry,
  plan: ReplayPlan,
  predicate: MessagePredicate,
  previewSize: number,
  logger: Logger,
  signal: AbortSignal,
): Promise<DryRunResult> {
  return withReader(registry, plan.store, logger, undefined, async (reader) => {
    const byCode: Record<string, number> = {};
    const byConnector: Record<string, number> = {};
    const preview: DeadLetterView[] = [];
    let scanned = 0;
    let matched = 0;
    let wouldPark = 0;
    for (let entry = await reader.next(signal); entry; entry = await reader.next(signal)) {
      scanned++;
      const { headers } = entry.message;
      if (await predicate(entry.message)) {
        matched++;
        tally(byCode, headerText(headers, DLQ_HEADERS.code));
        tally(byConnector, headerText(headers, DLQ_HEADERS.connector));
        if (replayCountOf(headers) >= plan.maxReplays) wouldPark++;
        if (preview.length < previewSize) preview.push(toView(entry));
      }
      entry.keep();
    }
    return { scanned, matched, byCode, byConnector, wouldPark, preview };
  });
}

/** One page of a dead-letter destination, with counts over everything read for it. */
export function browse(registry: ConnectorRegistry, store: DeadLetterStoreConfig, query: BrowseQuery, logger: Logger, signal: AbortSignal): Promise<BrowsePage> {
  const since = query.since === undefined ? undefined : Date.parse(query.since);
  const selects = (headers: DeadLetterReaderHeaders): boolean => {
    if (query.code !== undefined && headerText(headers, DLQ_HEADERS.code) !== query.code) return false;
    if (since === undefined) return true;
    const at = Date.parse(headerText(headers, DLQ_HEADERS.lastFailureAt) ?? '');
    return !Number.isNaN(at) && at >= since;
  };
  return withReader(registry, store, logger, query.cursor, async (reader) => {
    const byCode: Record<string, number> = {};
    const byConnector: Record<string, number> = {};
    const items: DeadLetterView[] = [];
    let pageEnd: string | undefined;
    let more = false;
    let scanned = 0;
    for (let entry = await reader.next(signal); entry; entry = scanned >= BROWSE_SCAN_LIMIT ? undefined : await reader.next(signal)) {
      scanned++;
      const { headers } = entry.message;
      tally(byCode, headerText(headers, DLQ_HEADERS.code));
      tally(byConnector, headerText(headers, DLQ_HEADERS.connector));
      if (selects(headers)) {
        if (items.length < query.limit) {
          items.push(toView(entry));
          if (items.length === query.limit) pageEnd = reader.cursor();
        } else {
          more = true;
        }
      }
      entry.keep();
    }
    // Cut short by the scan bound, there may be more: a short page continues after what was read.
    const cut = scanned >= BROWSE_SCAN_LIMIT;
    const nextCursor = items.length < query.limit ? (cut ? reader.cursor() : undefined) : more || cut ? pageEnd : undefined;
    return { items, counts: { byCode, byConnector }, total: reader.total, nextCursor };
  });
}

/** Largest value `show` prints in full. */
const SHOW_LIMIT = 1_048_576;

/** The dead letter at `position`, in full; reads until it (at most the scan bound). */
export function show(registry: ConnectorRegistry, store: DeadLetterStoreConfig, position: string, logger: Logger, signal: AbortSignal): Promise<DeadLetterView | undefined> {
  return withReader(registry, store, logger, undefined, async (reader) => {
    for (let scanned = 0; scanned < BROWSE_SCAN_LIMIT; scanned++) {
      const entry = await reader.next(signal);
      if (!entry) return undefined;
      entry.keep();
      if (entry.position === position) return toView(entry, SHOW_LIMIT);
    }
    return undefined;
  });
}

type DeadLetterReaderHeaders = Parameters<typeof headerText>[0];
