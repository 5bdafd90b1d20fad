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

/**
 * A metric's series by label values (given in `labelNames` order), each created once by `create`: the
 * hot path resolves its series up front and never looks labels up again.
 */
export class LabelledSeries<S> {
  readonly #name: string;
  readonly #labelNames: readonly string[];
  readonly #create: (labels: Readonly<Record<string, string>>) => S;
  readonly #series = new Map<string, S>();

  constructor(name: string, labelNames: readonly string[], create: (labels: Readonly<Record<string, string>>) => S) {
    this.#name = name;
    this.#labelNames = labelNames;
    this.#create = create;
  }

  get(values: readonly string[]): S {
    if (values.length !== this.#labelNames.length) throw new Error(`${this.#name} takes ${this.#labelNames.length} label values`);
    const key = values.join('\u0000');
    let series = this.#series.get(key);
    if (series === undefined) {
      series = this.#create(Object.fromEntries(this.#labelNames.map((label, i) => [label, values[i]!])));
      this.#series.set(key, series);
    }
    return series;
  }

  all(): IterableIterator<S> {
    return this.#series.values();
  }
}

/** Registers a metric of ours on prom-client registries, which take any object with a name and get() (the type is not exported). */
export function registerOn(registries: readonly Registry[], metric: object): void {
  for (const registry of registries) registry.registerMetric(metric as Parameters<Registry['registerMetric']>[0]);
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
  readonly #series: LabelledSeries<HistogramSeries>;

  constructor(options: HistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    const buckets = [...options.buckets].sort((a, b) => a - b);
    this.#series = new LabelledSeries(options.name, options.labelNames, (labels) => new HistogramSeries(labels, buckets));
    registerOn(options.registers, this);
  }

  /** The series of these label values (in `labelNames` order), created on first use: resolve it once, off the hot path. */
  labels(...values: string[]): HistogramSeries {
    return this.#series.get(values);
  }

  /** A getter that resolves the series of these label values at its first call: the series appears once used. */
  lazyLabels(...values: string[]): () => HistogramSeries {
    let series: HistogramSeries | undefined;
    return () => (series ??= this.#series.get(values));
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: ReturnType<HistogramSeries['values']> }> {
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values: [...this.#series.all()].flatMap((series) => series.values(this.name)) };
  }

  reset(): void {
    for (const series of this.#series.all()) series.reset();
  }
}
