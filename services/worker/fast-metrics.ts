/**
 * Counters and gauges for the per-event hot path, the counterparts of {@link FastHistogram}: a label
 * set is resolved once into a cell holding a plain number, and the series are built only at scrape
 * time. prom-client's label children hash their label object (sorting its keys) and store a new
 * `{value, labels}` object on every inc/set. A series appears once it is first written, as with prom-client.
 */
import type { Registry } from 'prom-client';

export class MetricCell {
  readonly labels: Readonly<Record<string, string>>;
  value = 0;
  written = false;

  constructor(labels: Readonly<Record<string, string>>) {
    this.labels = labels;
  }

  inc(by = 1): void {
    this.value += by;
    this.written = true;
  }

  dec(by = 1): void {
    this.value -= by;
    this.written = true;
  }

  set(value: number): void {
    this.value = value;
    this.written = true;
  }
}

export interface FastMetricOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly registers: readonly Registry[];
}

/** What a counter's series offers: it only goes up. */
export interface CounterCell {
  inc(by?: number): void;
}

abstract class FastMetric<Cell> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly string[];
  readonly #cells = new Map<string, MetricCell>();

  constructor(options: FastMetricOptions) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    // prom-client's registry takes any object with a name and get(); the type is not exported.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The cell of these label values (in `labelNames` order): resolve it once, off the hot path. */
  labels(...values: string[]): Cell {
    if (values.length !== this.#labelNames.length) throw new Error(`${this.name} takes ${this.#labelNames.length} label values`);
    const key = values.join('\u0000');
    let cell = this.#cells.get(key);
    if (!cell) {
      cell = new MetricCell(Object.fromEntries(this.#labelNames.map((label, i) => [label, values[i]!])));
      this.#cells.set(key, cell);
    }
    return cell as Cell;
  }

  async get(): Promise<{ name: string; help: string; type: 'counter' | 'gauge'; aggregator: 'sum'; values: { value: number; labels: Record<string, string> }[] }> {
    const values: { value: number; labels: Record<string, string> }[] = [];
    for (const cell of this.#cells.values()) if (cell.written) values.push({ value: cell.value, labels: { ...cell.labels } });
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }

  reset(): void {
    for (const cell of this.#cells.values()) {
      cell.value = 0;
      cell.written = false;
    }
  }
}

/** A counter: cells only go up (`inc`). */
export class FastCounter extends FastMetric<CounterCell> {
  readonly type = 'counter';
}

/** A gauge: cells are set, or moved up and down. */
export class FastGauge extends FastMetric<MetricCell> {
  readonly type = 'gauge';
}
