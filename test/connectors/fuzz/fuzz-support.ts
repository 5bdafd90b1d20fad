/**
 * Property-based fuzzing of decoders with fast-check. Every decoder gets at least 10,000 inputs:
 * mutations of valid fixtures (byte flips, truncation, structural JSON/XML edits), random documents, and
 * random headers and content types. The invariant: no crash and no hang; a failure is a non-retryable
 * ModelbridgeError with a decode code; a success is a valid CanonicalEvent.
 */
import fc from 'fast-check';
import { it } from 'vitest';
import { isModelbridgeError } from '../../../schemas/errors.ts';
import type { Decoder, Headers, InboundMessage, MessageOrigin } from '../../../connectors/types.ts';
import { canonicalEventSchema } from '../../../schemas/event.ts';

const DECODE_CODES = new Set(['EMPTY_MESSAGE', 'MALFORMED_PAYLOAD', 'UNSUPPORTED_CONTENT_TYPE', 'INVALID_EVENT', 'UNSAFE_PAYLOAD', 'GAP_EVENT', 'OVERFLOW_EVENT']);
/** Far above any honest decode; a regex or parser blow-up shows here. */
const MAX_DECODE_MS = 500;

export interface Seed {
  readonly value: Buffer;
  readonly headers?: Headers;
  readonly contentType?: string;
}

export interface FuzzPlan {
  readonly decoder: Decoder;
  readonly seeds: readonly Seed[];
  /** `json` seeds get JSON structural mutations; `xml` seeds get XML token edits. */
  readonly syntax: 'json' | 'xml';
  readonly origins?: readonly MessageOrigin[];
}

/** Runs per property; the total per decoder is 10,000. */
const RUNS = { bytes: 3000, truncate: 1000, structure: 3000, random: 1500, headers: 1500 } as const;

export const FUZZ_ORIGINS: readonly MessageOrigin[] = [
  { transport: 'kafka', topic: 'fuzz', partition: 0, offset: '1', timestamp: 1_700_000_000_000 },
  { transport: 'kafka', topic: 'salesforce.Fuzz__e', partition: 1, offset: '9', timestamp: undefined },
  { transport: 'amqp', exchange: 'x', routingKey: 'r', queue: 'q', redelivered: false, deliveryTag: 1 },
  { transport: 'memory', stream: 'fuzz', sequence: 3 },
];

/** Decodes once and throws (failing the property) unless the outcome honours the decoder contract. */
export function checkDecode(decoder: Decoder, message: InboundMessage): void {
  const started = performance.now();
  let event: unknown;
  try {
    event = decoder.decode(message);
  } catch (error) {
    if (!isModelbridgeError(error)) throw new Error(`decode threw a non-ModelbridgeError: ${String(error)}`, { cause: error });
    if (!DECODE_CODES.has(error.code)) throw new Error(`decode failed with non-decode code ${error.code}: ${error.message}`);
    if (error.retryable) throw new Error(`decode failure ${error.code} is retryable`);
    return;
  } finally {
    const elapsed = performance.now() - started;
    if (elapsed > MAX_DECODE_MS) throw new Error(`decode took ${elapsed.toFixed(0)} ms`);
  }
  const parsed = canonicalEventSchema.safeParse(event);
  if (!parsed.success) throw new Error(`decoded event is not canonical: ${parsed.error.message}`);
  if (decoder.passThrough !== undefined && typeof decoder.passThrough(parsed.data) !== 'boolean') throw new Error('passThrough must return a boolean');
}

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/cloudevents+json',
  'application/cloudevents-batch+json',
  'application/xml',
  'text/xml; charset=utf-8',
  'text/plain',
  'application/avro',
  'application/octet-stream',
  '',
  ';;',
  'APPLICATION/JSON',
];
const HEADER_NAMES = ['ce_id', 'ce_specversion', 'ce_source', 'ce_type', 'ce_time', 'ce_partitionkey', 'ce_Data', 'ce_', 'cloudEvents_id', 'cloudEvents:type', 'content-type', 'Content-Type', 'traceparent', 'message-id', '__proto__', 'x'];
const HEADER_VALUES = fc.oneof(
  fc.constantFrom('1.0', '0.3', '', 'id-1', '/s', 't', '2024-01-01T00:00:00Z', '2024-02-30T00:00:00Z', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'application/json', 'application/xml'),
  fc.string({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes)),
);

const headersArb: fc.Arbitrary<Headers> = fc.dictionary(fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.string({ maxLength: 8 })), HEADER_VALUES, { maxKeys: 6 }) as fc.Arbitrary<Headers>;

function inbound(value: Buffer | null, seed: Partial<Seed>, origin: MessageOrigin, key: Buffer | null = null): InboundMessage {
  return { key, value, headers: seed.headers ?? {}, contentType: seed.contentType, timestamp: origin.transport === 'kafka' ? origin.timestamp : undefined, origin };
}

const JSON_VALUES = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 12 }), fc.constant([]), fc.constant({}), fc.constant('0x400800'), fc.constant('GAP_UPDATE'), fc.constant(-1), fc.constant('2024-01-01T00:00:00Z'));

/** A JSON document with one value (at a random path) deleted or replaced. */
function mutateJson(root: unknown, steps: readonly number[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(root);
  let parent: unknown = undefined;
  let key: string | number | undefined;
  let current: unknown = copy;
  for (const step of steps) {
    if (typeof current !== 'object' || current === null) break;
    const keys = Array.isArray(current) ? current.map((_v, i) => i) : Object.keys(current);
    if (keys.length === 0) break;
    parent = current;
    key = keys[step % keys.length]!;
    current = (current as Record<string | number, unknown>)[key];
  }
  if (parent === undefined || key === undefined) return replacement;
  if (remove && !Array.isArray(parent)) delete (parent as Record<string, unknown>)[key];
  else (parent as Record<string | number, unknown>)[key] = replacement;
  return copy;
}

const XML_TOKENS = ['<', '>', '/>', '</IDOC>', '<IDOC>', '<EDI_DC40 SEGMENT="1">', '</EDI_DC40>', '<!DOCTYPE x>', '<!ENTITY e "x">', '&e;', '&amp;', '&#0;', '&#x41;', '<![CDATA[', ']]>', '<!--', '-->', '<?xml version="1.0" encoding="latin1"?>', '<DOCNUM>1</DOCNUM>', '<SNDPRN/>', '"', "'", '&', '\u0000', '\uFEFF', 'SEGMENT="1"', '<__proto__>', '</__proto__>', '<constructor/>'];

/** Defines the fuzz properties for one decoder (≥ 10,000 inputs in all). */
export function fuzzDecoder(plan: FuzzPlan): void {
  const { decoder, seeds, syntax } = plan;
  const origins = plan.origins ?? FUZZ_ORIGINS;
  const seedArb = fc.constantFrom(...seeds);
  const originArb = fc.constantFrom(...origins);
  const parsed = syntax === 'json' ? seeds.map((seed) => JSON.parse(seed.value.toString('utf8')) as unknown) : [];

  it(`survives byte flips of valid fixtures (${RUNS.bytes} runs)`, () => {
    fc.assert(
      fc.property(seedArb, originArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (seed, origin, flips) => {
        const bytes = Buffer.from(seed.value);
        for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
        checkDecode(decoder, inbound(bytes, seed, origin));
      }),
      { numRuns: RUNS.bytes },
    );
  });

  it(`survives truncation (${RUNS.truncate} runs)`, () => {
    fc.assert(
      fc.property(seedArb, originArb, fc.nat(), (seed, origin, cut) => {
        checkDecode(decoder, inbound(seed.value.subarray(0, cut % (seed.value.length + 1)), seed, origin));
      }),
      { numRuns: RUNS.truncate },
    );
  });

  if (syntax === 'json') {
    it(`survives field deletion and type swaps (${RUNS.structure} runs)`, () => {
      fc.assert(
        fc.property(fc.nat(parsed.length - 1), originArb, fc.array(fc.nat(), { maxLength: 6 }), JSON_VALUES, fc.boolean(), (index, origin, steps, replacement, remove) => {
          const mutated = mutateJson(parsed[index], steps, replacement, remove);
          checkDecode(decoder, inbound(Buffer.from(JSON.stringify(mutated) ?? ''), seeds[index]!, origin));
        }),
        { numRuns: RUNS.structure },
      );
    });
    it(`survives random JSON (${RUNS.random} runs)`, () => {
      fc.assert(
        fc.property(fc.json({ maxDepth: 4 }), originArb, fc.constantFrom(...CONTENT_TYPES), (json, origin, contentType) => {
          checkDecode(decoder, inbound(Buffer.from(json), { contentType }, origin));
        }),
        { numRuns: RUNS.random },
      );
    });
  } else {
    it(`survives XML token insertions and deletions (${RUNS.structure} runs)`, () => {
      fc.assert(
        fc.property(seedArb, originArb, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...XML_TOKENS), fc.nat(40)), { minLength: 1, maxLength: 5 }), (seed, origin, edits) => {
          let text = seed.value.toString('utf8');
          for (const [at, token, drop] of edits) {
            const position = at % (text.length + 1);
            text = text.slice(0, position) + token + text.slice(position + (drop % 3 === 0 ? drop : 0));
          }
          checkDecode(decoder, inbound(Buffer.from(text), seed, origin));
        }),
        { numRuns: RUNS.structure },
      );
    });
    it(`survives random XML-ish documents (${RUNS.random} runs)`, () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.constantFrom(...XML_TOKENS), fc.string({ maxLength: 6 })), { maxLength: 40 }), originArb, fc.constantFrom(...CONTENT_TYPES), (tokens, origin, contentType) => {
          checkDecode(decoder, inbound(Buffer.from(tokens.join('')), { contentType }, origin));
        }),
        { numRuns: RUNS.random },
      );
    });
  }

  it(`survives random headers, content types and keys (${RUNS.headers} runs)`, () => {
    fc.assert(
      fc.property(seedArb, originArb, headersArb, fc.constantFrom(...CONTENT_TYPES), fc.option(fc.uint8Array({ maxLength: 20 })), fc.boolean(), (seed, origin, headers, contentType, key, empty) => {
        const value = empty ? null : seed.value;
        checkDecode(decoder, inbound(value, { headers: { ...seed.headers, ...headers }, contentType }, origin, key === null ? null : Buffer.from(key)));
      }),
      { numRuns: RUNS.headers },
    );
  });
}
