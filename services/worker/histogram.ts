/**
 * A Prometheus histogram for the per-event hot path: `observe()` allocates nothing. prom-client's
 * histogram builds a label object and a hash string on every observation; here each label set is
 * resolved once into a {@link HistogramSeries} whose counts live in one Float64Array, and the text
 * form is built only at scrape time. Registered on a prom-client registry like any other metric.
 */
import type { Registry } from 'prom-client';

export class HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly #bounds: readonly number[];
  /** Non-cumulative counts per bucket (the last one is +Inf), then the sum of observations. */
  readonly #cells: Float64Array;

  constructor(labels: Readonly<Record<string, string>>, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.#cells = new Float64Array(bounds.length + 2);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.#cells[i]!++;
    this.#cells[bounds.length + 1]! += value;
  }

  /** The series in prom-client's value form: cumulative buckets, then sum and count. */
  values(name: string): { value: number; labels: Record<string, string | number>; metricName: string }[] {
    const out: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    let cumulative = 0;
    for (let i = 0; i <= this.#bounds.length; i++) {
      cumulative += this.#cells[i]!;
      out.push({ value: cumulative, labels: { le: i < this.#bounds.length ? this.#bounds[i]! : '+Inf', ...this.labels }, metricName: `${name}_bucket` });
    }
    out.push({ value: this.#cells[this.#bounds.length + 1]!, labels: { ...this.labels }, metricName: `${name}_sum` });
    out.push({ value: cumulative, labels: { ...this.labels }, metricName: `${name}_count` });
    return out;
  }

  reset(): void {
    this.#cells.fill(0);
  }
}

export interface HistogramOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly string[];
  readonly #buckets: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(options: HistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    this.#buckets = [...options.buckets].sort((a, b) => a - b);
    // prom-client's registry takes any object with a name and get(); the type is not exported.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of these label values (in `labelNames` order), created on first use: resolve it once, off the hot path. */
  labels(...values: string[]): HistogramSeries {
    if (values.length !== this.#labelNames.length) throw new Error(`${this.name} takes ${this.#labelNames.length} label values`);
    const key = values.join('\u0000');
    let series = this.#series.get(key);
    if (!series) {
      series = new HistogramSeries(Object.fromEntries(this.#labelNames.map((label, i) => [label, values[i]!])), this.#buckets);
      this.#series.set(key, series);
    }
    return series;
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ReturnType<HistogramSeries['values']> }> {
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values: [...this.#series.values()].flatMap((series) => series.values(this.name)) };
  }

  reset(): void {
    for (const series of this.#series.values()) series.reset();
  }
}
