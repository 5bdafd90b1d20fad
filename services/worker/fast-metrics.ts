/**
 * Counters and gauges for the per-event hot path, the counterparts of {@link FastHistogram}: a label
 * set is resolved once into a cell holding a plain number, and the series are built only at scrape
 * time. prom-client's label children hash their label object (sorting its keys) and store a new
 * `{value, labels}` object on every inc/set. A series appears once it is first written, as with prom-client.
 */
import { LabelledSeries, registerOn } from './histogram.ts';
import type { HistogramOptions } from './histogram.ts';

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

/** A histogram's options without buckets. */
export type FastMetricOptions = Omit<HistogramOptions, 'buckets'>;

/** What a counter's series offers: it only goes up. */
export interface CounterCell {
  inc(by?: number): void;
}

abstract class FastMetric<Cell> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge';
  readonly aggregator = 'sum';
  readonly #cells: LabelledSeries<MetricCell>;

  constructor(options: FastMetricOptions) {
    this.name = options.name;
    this.help = options.help;
    this.#cells = new LabelledSeries(options.name, options.labelNames, (labels) => new MetricCell(labels));
    registerOn(options.registers, this);
  }

  /** The cell of these label values (in `labelNames` order): resolve it once, off the hot path. */
  labels(...values: string[]): Cell {
    return this.#cells.get(values) as Cell;
  }

  async get(): Promise<{ name: string; help: string; type: 'counter' | 'gauge'; aggregator: 'sum'; values: { value: number; labels: Record<string, string> }[] }> {
    const values: { value: number; labels: Record<string, string> }[] = [];
    for (const cell of this.#cells.all()) if (cell.written) values.push({ value: cell.value, labels: { ...cell.labels } });
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }

  reset(): void {
    for (const cell of this.#cells.all()) {
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
