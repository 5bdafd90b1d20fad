import { describe, expect, it } from 'vitest';
import { assertCanonicalEvent, isRfc3339 } from '../../../connectors/cloudevents/attributes.ts';
import { isModelbridgeError } from '../../../schemas/errors.ts';
import { canonicalEventSchema } from '../../../schemas/event.ts';

const valid = { specversion: '1.0', id: 'a', source: '/s', type: 't' };

const CASES: Record<string, unknown>[] = [
  valid,
  { ...valid, specversion: '1.1' },
  { ...valid, id: '' },
  { ...valid, id: 'x'.repeat(1024) },
  { ...valid, id: 'x'.repeat(1025) },
  { ...valid, source: 's'.repeat(4097) },
  { ...valid, type: 7 },
  { ...valid, subject: '' },
  { ...valid, subject: 'x' },
  { ...valid, datacontenttype: '' },
  { ...valid, dataschema: 'https://x' },
  { ...valid, partitionkey: 5 },
  { ...valid, ext1: 'x', ext2: 2, ext3: false },
  { ...valid, Ext: 'x' },
  { ...valid, ['e'.repeat(65)]: 'x' },
  { ...valid, ext: { a: 1 } },
  { ...valid, ext: [1] },
  { ...valid, data: { deep: [1] } },
  ...[
    '2018-04-05T03:56:24Z',
    '2018-04-05T03:56:24.123456789+01:00',
    '2018-04-05T03:56:24-23:59',
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2018-04-31T00:00:00Z',
    '2018-13-01T00:00:00Z',
    '2018-00-01T00:00:00Z',
    '2018-04-05T24:00:00Z',
    '2018-04-05T23:60:00Z',
    '2018-04-05T23:59:60Z',
    '2018-04-05t03:56:24z',
    '2018-04-05 03:56:24Z',
    '2018-04-05T03:56:24',
    '2018-04-05T03:56Z',
    '2018-04-05T03:56:24+0100',
    '2018-04-05T03:56:24.Z',
    '2018-4-05T03:56:24Z',
    '',
  ].map((time) => ({ ...valid, time })),
];

describe('assertCanonicalEvent', () => {
  it.each(CASES.map((event) => [JSON.stringify(event).slice(0, 120), event]))('agrees with canonicalEventSchema on %s', (_label, event) => {
    let fast: boolean;
    try {
      assertCanonicalEvent({ ...(event as Record<string, unknown>) });
      fast = true;
    } catch (error) {
      expect(isModelbridgeError(error) && error.code === 'INVALID_EVENT').toBe(true);
      fast = false;
    }
    expect(fast).toBe(canonicalEventSchema.safeParse(event).success);
  });
});

describe('isRfc3339', () => {
  it('rejects non-dates that match the shape', () => {
    expect(isRfc3339('2018-02-29T00:00:00Z')).toBe(false);
    expect(isRfc3339('2018-04-05T03:56:24+24:00')).toBe(false);
    expect(isRfc3339('2016-02-29T00:00:00Z')).toBe(true);
  });
});
