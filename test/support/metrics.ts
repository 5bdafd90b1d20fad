/** Reading metrics in tests from the registry itself, not with regexes over the exposition text. */
import type { Registry } from 'prom-client';

/**
 * The value of the series `name` (a histogram's `…_count`, `…_sum` or `…_bucket` too), summed over the
 * series whose labels include `labels`; 0 when there is none. Throws when no such metric is registered.
 */
export async function metricValue(registry: Registry, name: string, labels: Readonly<Record<string, string | number>> = {}): Promise<number> {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = registry.getSingleMetric(name) ?? registry.getSingleMetric(base);
  if (metric === undefined) throw new Error(`no metric ${name} in the registry`);
  const { values } = await metric.get();
  const ownName = registry.getSingleMetric(name) === undefined ? base : name;
  let sum = 0;
  for (const value of values) {
    if (((value as { metricName?: string }).metricName ?? ownName) !== name) continue;
    const series = value.labels as Readonly<Record<string, string | number | undefined>>;
    if (Object.entries(labels).every(([label, wanted]) => String(series[label]) === String(wanted))) sum += value.value;
  }
  return sum;
}
