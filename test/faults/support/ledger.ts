/**
 * The fault suite's ledger: numbered events go in, and every id must come out in the sink or the
 * dead letters. Lost ids fail the test; duplicates (an id seen more than once across sink ∪ dead
 * letters) are counted and printed, never hidden.
 */

/** One numbered event: `seq` counts per key from 0, so per-key order can be checked in the sink. */
export interface NumberedEvent {
  readonly id: string;
  readonly key: string;
  readonly seq: number;
}

export interface LedgerSummary {
  readonly name: string;
  readonly sent: number;
  /** Distinct ids enriched. */
  readonly enriched: number;
  /** Distinct ids dead-lettered. */
  readonly deadLettered: number;
  readonly lost: number;
  /** Deliveries beyond the first of each id, in sink ∪ dead letters. */
  readonly duplicates: number;
  /** Sent ids seen in neither; empty when nothing is lost. */
  readonly lostIds: readonly string[];
  /** Ids that came out but were never sent (must be 0: a sign of a mixed-up collector). */
  readonly unknown: number;
}

export class Ledger {
  readonly name: string;
  readonly #sent = new Map<string, NumberedEvent>();
  readonly #enriched = new Map<string, number>();
  readonly #deadLettered = new Map<string, number>();

  constructor(name: string) {
    this.name = name;
  }

  /** Numbered events for `keys` keys, `count` in all, round-robin over the keys. */
  static numbered(prefix: string, count: number, keys: number, offset = 0): NumberedEvent[] {
    const events: NumberedEvent[] = [];
    for (let i = offset; i < offset + count; i++) {
      events.push({ id: `${prefix}-${i}`, key: `${prefix}-key-${i % keys}`, seq: Math.floor(i / keys) });
    }
    return events;
  }

  sent(events: readonly NumberedEvent[]): void {
    for (const event of events) this.#sent.set(event.id, event);
  }

  enriched(id: string): void {
    this.#enriched.set(id, (this.#enriched.get(id) ?? 0) + 1);
  }

  deadLettered(id: string): void {
    this.#deadLettered.set(id, (this.#deadLettered.get(id) ?? 0) + 1);
  }

  get sentCount(): number {
    return this.#sent.size;
  }

  /** Sent ids seen in sink ∪ dead letters. */
  get accounted(): number {
    let seen = 0;
    for (const id of this.#sent.keys()) if (this.#enriched.has(id) || this.#deadLettered.has(id)) seen++;
    return seen;
  }

  summary(): LedgerSummary {
    const lostIds: string[] = [];
    for (const id of this.#sent.keys()) if (!this.#enriched.has(id) && !this.#deadLettered.has(id)) lostIds.push(id);
    let deliveries = 0;
    const distinct = new Set<string>();
    for (const map of [this.#enriched, this.#deadLettered]) {
      for (const [id, count] of map) {
        deliveries += count;
        distinct.add(id);
      }
    }
    let unknown = 0;
    for (const id of distinct) if (!this.#sent.has(id)) unknown++;
    return {
      name: this.name,
      sent: this.#sent.size,
      enriched: this.#enriched.size,
      deadLettered: this.#deadLettered.size,
      lost: lostIds.length,
      duplicates: deliveries - distinct.size,
      lostIds: lostIds.slice(0, 20),
      unknown,
    };
  }

  /** The one line each fault case prints. */
  line(extra: Record<string, string | number> = {}): string {
    const s = this.summary();
    const more = Object.entries(extra).map(([k, v]) => ` ${k}=${v}`).join('');
    return `ledger ${s.name}: sent=${s.sent} enriched=${s.enriched} dead-lettered=${s.deadLettered} lost=${s.lost} duplicates=${s.duplicates}${more}`;
  }
}

/**
 * Per-key order in arrival order: for each key, a sequence number below the highest seen so far is
 * allowed only as a redelivery of one already seen. Returns the violations (empty when order held).
 */
export function orderViolations(arrivals: readonly { key: string; seq: number }[]): string[] {
  const highest = new Map<string, number>();
  const seen = new Map<string, Set<number>>();
  const violations: string[] = [];
  for (const { key, seq } of arrivals) {
    let keySeen = seen.get(key);
    if (!keySeen) seen.set(key, (keySeen = new Set()));
    const top = highest.get(key) ?? -1;
    if (seq < top && !keySeen.has(seq)) violations.push(`${key}: ${seq} arrived after ${top}`);
    keySeen.add(seq);
    if (seq > top) highest.set(key, seq);
  }
  return violations;
}
