import { resolveInstant, toMs, toSignedMs, type Duration, type SignedDuration } from '../../sdk/duration';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('toMs', () => {
  test.each([
    ['36h', 36 * HOUR],
    ['14 days', 14 * DAY],
    ['1 hour 30 minutes', 90 * MIN],
    ['1.5h', 90 * MIN],
    ['2 hrs', 2 * HOUR],
    ['10 mins', 10 * MIN],
    ['45 secs', 45_000],
    ['1w', 7 * DAY],
    ['2 weeks 1 day', 15 * DAY],
    ['250 milliseconds', 250],
    ['  2H  ', 2 * HOUR],
  ])('%p is %p ms', (text, ms) => {
    expect(toMs(text)).toBe(ms);
  });

  test('a number is taken as milliseconds', () => {
    expect(toMs(1500)).toBe(1500);
    expect(toMs(0)).toBe(0);
  });

  test.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %p', (n) => {
    expect(() => toMs(n)).toThrow(`invalid duration ${n}: expected a non-negative number of milliseconds`);
  });

  test.each(['', '5', 'soon', '-5m', '1 hour and 30 minutes', '10 minutes later'])('rejects %p and quotes it with an example', (text) => {
    expect(() => toMs(text)).toThrow(`invalid duration "${text}": expected e.g. "36h", "14 days" or "1 hour 30 minutes"`);
  });

  test('names an unknown unit', () => {
    expect(() => toMs('3 months')).toThrow('invalid duration "3 months": unknown unit "months" (use ms, s, m, h, d or w)');
  });
});

describe('toSignedMs', () => {
  test('a leading minus means before', () => {
    expect(toSignedMs('-14 days')).toBe(-14 * DAY);
    expect(toSignedMs(' -36h ')).toBe(-36 * HOUR);
  });

  test('a leading plus or no sign means after', () => {
    expect(toSignedMs('+2h')).toBe(2 * HOUR);
    expect(toSignedMs('7 days')).toBe(7 * DAY);
  });

  test('numbers pass through, negative included', () => {
    expect(toSignedMs(-5000)).toBe(-5000);
  });

  test('still rejects nonsense after the sign', () => {
    expect(() => toSignedMs('-soon')).toThrow('invalid duration "soon"');
  });
});

describe('resolveInstant', () => {
  const start = new Date('2026-05-01T09:00:00.000Z');

  test('an offset is counted from the start', () => {
    expect(resolveInstant('36h', start).toISOString()).toBe('2026-05-02T21:00:00.000Z');
    expect(resolveInstant('400d', start).toISOString()).toBe('2027-06-05T09:00:00.000Z');
    expect(resolveInstant('0d', start).toISOString()).toBe(start.toISOString());
  });

  test('an ISO timestamp is taken as is', () => {
    expect(resolveInstant('2026-12-24T18:00:00+01:00', start).toISOString()).toBe('2026-12-24T17:00:00.000Z');
  });

  test('an impossible timestamp is rejected by name', () => {
    expect(() => resolveInstant('2026-13-45', start)).toThrow('invalid timestamp "2026-13-45"');
  });

  test('anything else must be a duration', () => {
    expect(() => resolveInstant('tomorrow', start)).toThrow('invalid duration "tomorrow"');
  });
});

test('tsc rejects a typo in a duration before the journey runs (npm test type-checks this file)', () => {
  // @ts-expect-error 'dayz' is not a unit: if Duration ever accepts any string again, tsc fails here.
  const typo: Duration = '14 dayz';
  // @ts-expect-error a unit with no number
  const noNumber: Duration = 'days';
  const fine: Duration[] = ['14 days', '36h', '1 hour', '2 weeks', '1 hour 30 minutes', '90s', 90_000];
  const signed: SignedDuration[] = ['-14 days', '+2h', '7 days'];
  expect(() => toMs(typo)).toThrow('unknown unit "dayz"');
  expect(() => toMs(noNumber)).toThrow('expected e.g.');
  expect(fine.map(toMs)).toEqual([14 * 86_400_000, 36 * 3_600_000, 3_600_000, 14 * 86_400_000, 5_400_000, 90_000, 90_000]);
  expect(signed.map(toSignedMs)).toEqual([-14 * 86_400_000, 2 * 3_600_000, 7 * 86_400_000]);
});
