import { describe, expect, it } from 'vitest';
import { applyLenientTime, normalizeTime } from '../../../connectors/cloudevents/lenient-time.ts';

describe('lenient time', () => {
  it.each([
    ['2018-04-08 08:31:00', '2018-04-08T08:31:00Z'],
    ['2018-04-08T08:31:00', '2018-04-08T08:31:00Z'],
    ['2018-04-08 08:31:00.123', '2018-04-08T08:31:00.123Z'],
    ['2018-04-08t08:31:00z', '2018-04-08T08:31:00Z'],
    ['2018-04-08T08:31:00+0200', '2018-04-08T08:31:00+02:00'],
    ['2018-04-08 08:31:00-05', '2018-04-08T08:31:00-05:00'],
    ['20180408083100', '2018-04-08T08:31:00Z'],
  ])('reads %s as %s', (value, expected) => {
    expect(normalizeTime(value)).toBe(expected);
  });

  it.each(['08.04.2018 08:31', '04/08/2018 08:31:00', '2018-04-08', '2018-02-30 08:31:00', '2018-04-08 24:00:00', 'yesterday', '1523176260', '20181308083100'])(
    'does not guess %s',
    (value) => {
      expect(normalizeTime(value)).toBeUndefined();
    },
  );

  it('keeps the producer value in originaltime, leaves valid and hopeless values alone', () => {
    const plain = { time: '2018-04-08 08:31:00' };
    applyLenientTime(plain);
    expect(plain).toEqual({ time: '2018-04-08T08:31:00Z', originaltime: '2018-04-08 08:31:00' });
    const valid = { time: '2018-04-08T08:31:00+02:00' };
    applyLenientTime(valid);
    expect(valid).toEqual({ time: '2018-04-08T08:31:00+02:00' });
    const hopeless = { time: 'soon' };
    applyLenientTime(hopeless);
    expect(hopeless).toEqual({ time: 'soon' });
  });
});
