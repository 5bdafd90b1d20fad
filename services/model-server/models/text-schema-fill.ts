/**
 * Fills a JSON Schema from a text, so that structured-output requests get a valid, meaningful answer:
 *
 * - `enum`: the option whose name (and known synonyms) overlaps most with the text's words; sentiment
 *   enums (positive/negative/neutral/mixed) take the lexicon sentiment; a tie goes to the option listed
 *   first; no overlap → an `other`/`unknown`/`none`-like option when there is one, else the first.
 * - `string`: named like a title/subject → the summary's first words; sentiment/tone → the sentiment
 *   label; language → `en`; anything else → the extractive summary. `maxLength` is honoured.
 * - `number`/`integer`: named like a count → the number of words; confidence/probability → certainty
 *   from the sentiment's strength; otherwise the sentiment score, mapped to [0, 1] when the minimum is
 *   not negative. Always clamped into `minimum`/`maximum`.
 * - `boolean`: true when the property name's keywords occur in the text (`is_urgent`, `refund_requested`).
 * - `array`: enum items → every option that overlaps; string items → keywords; `minItems`/`maxItems` honoured.
 * - `object`: every declared property. `const`, nullable type arrays and `anyOf`/`oneOf` (first branch).
 *
 * Not filled: `$ref`, string `format`/`pattern` constraints (the summary is returned as is).
 */
import type { Sentiment } from './sentiment.ts';
import { keywordsOf, nameParts, overlap } from './text-keywords.ts';
import { cutToTokens } from './text-summary.ts';

/** What the filler knows about the input text. */
export interface FillContext {
  /** Lower-cased words of the text. */
  readonly words: readonly string[];
  readonly summary: string;
  readonly sentiment: Sentiment;
}

type Schema = Readonly<Record<string, unknown>>;

const FALLBACK_OPTIONS = ['other', 'unknown', 'none', 'general', 'misc', 'neutral', 'n/a'];
const SENTIMENT_OPTIONS = new Set(['positive', 'negative', 'neutral', 'mixed']);
const STOPWORDS = new Set(['the', 'and', 'for', 'with', 'that', 'this', 'was', 'were', 'have', 'has', 'but', 'not', 'you', 'your', 'our', 'are', 'from', 'they', 'them', 'its', 'it', 'my', 'me', 'we', 'is', 'a', 'an', 'to', 'of', 'in', 'on', 'at', 'i']);
const TITLE_TOKENS = 8;
const MAX_DEPTH = 16;

/** A value satisfying `schema` (within the subset above), derived from the text in `ctx`. */
export function fillSchema(schema: unknown, ctx: FillContext, name = '', depth = 0): unknown {
  if (!isSchema(schema) || depth > MAX_DEPTH) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return chooseOption(schema.enum, ctx, name);
  const branches = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (branches) return fillSchema(branches.find((b) => isSchema(b) && b.type !== 'null') ?? branches[0], ctx, name, depth + 1);
  switch (typeOf(schema)) {
    case 'object':
      return fillObject(schema, ctx, depth);
    case 'array':
      return fillArray(schema, ctx, name, depth);
    case 'string':
      return fillString(schema, ctx, name);
    case 'number':
      return fillNumber(schema, ctx, name, false);
    case 'integer':
      return fillNumber(schema, ctx, name, true);
    case 'boolean':
      return overlap(ctx.words, keywordsOf(name)) > 0;
    default:
      return null;
  }
}

function typeOf(schema: Schema): unknown {
  const { type } = schema;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') ?? 'null';
  if (type === undefined && isSchema(schema.properties)) return 'object';
  if (type === undefined && schema.items !== undefined) return 'array';
  return type;
}

function fillObject(schema: Schema, ctx: FillContext, depth: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const properties = isSchema(schema.properties) ? schema.properties : {};
  for (const [key, property] of Object.entries(properties)) result[key] = fillSchema(property, ctx, key, depth + 1);
  return result;
}

function chooseOption(options: readonly unknown[], ctx: FillContext, name: string): unknown {
  const strings = options.filter((o): o is string => typeof o === 'string');
  if (strings.length === 0) return options[0];
  const label = ctx.sentiment.label;
  if (strings.includes(label) && strings.every((o) => SENTIMENT_OPTIONS.has(o.toLowerCase()))) return label;
  const ranked = rankOptions(strings, ctx);
  // The sort is stable: a tie goes to the option listed first.
  if (ranked[0] && ranked[0].score > 0) return ranked[0].option;
  if (nameParts(name).some((p) => p === 'sentiment' || p === 'tone') && strings.includes(label)) return label;
  return strings.find((o) => FALLBACK_OPTIONS.includes(o.toLowerCase())) ?? strings[0];
}

function rankOptions(options: readonly string[], ctx: FillContext): { option: string; score: number }[] {
  return options.map((option) => ({ option, score: overlap(ctx.words, keywordsOf(option)) })).sort((a, b) => b.score - a.score);
}

function fillArray(schema: Schema, ctx: FillContext, name: string, depth: number): unknown[] {
  const min = nonNegative(schema.minItems) ?? 0;
  const max = nonNegative(schema.maxItems) ?? Number.POSITIVE_INFINITY;
  const items = isSchema(schema.items) ? schema.items : {};
  let values: unknown[];
  if (Array.isArray(items.enum) && items.enum.length > 0) {
    const strings = items.enum.filter((o): o is string => typeof o === 'string');
    const ranked = rankOptions(strings, ctx);
    values = ranked.filter((r) => r.score > 0).map((r) => r.option);
    for (const r of ranked) if (values.length < min && !values.includes(r.option)) values.push(r.option);
  } else if (typeOf(items) === 'string' && items.enum === undefined) {
    values = keywords(ctx.words, Math.max(min, Math.min(max, 3)));
    while (values.length < min) values.push(ctx.summary);
  } else {
    values = Array.from({ length: Math.max(min, 1) }, () => fillSchema(items, ctx, name, depth + 1));
  }
  return values.slice(0, max);
}

function keywords(textWords: readonly string[], count: number): string[] {
  const frequency = new Map<string, number>();
  for (const word of textWords) {
    if (word.length > 2 && !STOPWORDS.has(word) && !/^\d+$/.test(word)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  }
  // Stable sort: equally frequent words keep their order of first appearance.
  return [...frequency].sort((a, b) => b[1] - a[1]).slice(0, count).map(([word]) => word);
}

function fillString(schema: Schema, ctx: FillContext, name: string): string {
  const parts = nameParts(name);
  const has = (...candidates: string[]): boolean => parts.some((p) => candidates.includes(p));
  let value: string;
  if (has('title', 'subject', 'headline', 'topic', 'heading')) value = cutToTokens(ctx.summary, TITLE_TOKENS);
  else if (has('sentiment', 'tone', 'mood')) value = ctx.sentiment.label;
  else if (has('language', 'lang', 'locale')) value = 'en';
  else value = ctx.summary;
  const maxLength = nonNegative(schema.maxLength);
  if (maxLength !== undefined && value.length > maxLength) value = value.slice(0, maxLength);
  const minLength = nonNegative(schema.minLength) ?? 0;
  return value.length >= minLength ? value : value.padEnd(minLength, '.');
}

function fillNumber(schema: Schema, ctx: FillContext, name: string, integer: boolean): number {
  const parts = nameParts(name);
  const has = (...candidates: string[]): boolean => parts.some((p) => candidates.includes(p));
  const minimum = finite(schema.minimum) ?? finite(schema.exclusiveMinimum);
  const maximum = finite(schema.maximum) ?? finite(schema.exclusiveMaximum);
  const score = ctx.sentiment.score;
  let value: number;
  if (has('count', 'words', 'tokens', 'length')) value = ctx.words.length;
  else if (has('confidence', 'probability', 'certainty')) value = 0.5 + Math.abs(score) / 2;
  else value = minimum !== undefined && minimum >= 0 ? (score + 1) / 2 : score;
  if (integer) value = Math.round(value);
  // Exclusive bounds are nudged inwards; integers by one, numbers by a hair.
  const step = integer ? 1 : 1e-6;
  const low = schema.exclusiveMinimum !== undefined && schema.minimum === undefined ? (minimum ?? 0) + step : minimum;
  const high = schema.exclusiveMaximum !== undefined && schema.maximum === undefined ? (maximum ?? 0) - step : maximum;
  if (low !== undefined && value < low) value = integer ? Math.ceil(low) : low;
  if (high !== undefined && value > high) value = integer ? Math.floor(high) : high;
  return value;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
