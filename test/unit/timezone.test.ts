import { atLocalTimeOnSameDay, fromLocal, isValidTimeZone, localMinuteOfDay, nextLocalTime, parseClock, toLocal } from '../../sdk/timezone';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const TOKYO = 'Asia/Tokyo';
const LA = 'America/Los_Angeles';
const iso = (d: Date) => d.toISOString();

describe('toLocal', () => {
  test('reads the wall clock in the zone', () => {
    const t = new Date('2026-07-01T12:00:00Z');
    expect(toLocal(t, NY)).toEqual({ year: 2026, month: 7, day: 1, hour: 8, minute: 0, second: 0 });
    expect(toLocal(t, TOKYO)).toEqual({ year: 2026, month: 7, day: 1, hour: 21, minute: 0, second: 0 });
  });

  test('midnight is hour 0 of the new day, across a year boundary', () => {
    expect(toLocal(new Date('2026-01-01T05:00:00Z'), NY)).toEqual({ year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0 });
  });
});

describe('fromLocal', () => {
  test('uses the offset in force on that date', () => {
    expect(iso(fromLocal({ year: 2026, month: 1, day: 15, hour: 9, minute: 0 }, NY))).toBe('2026-01-15T14:00:00.000Z');
    expect(iso(fromLocal({ year: 2026, month: 7, day: 15, hour: 9, minute: 0 }, NY))).toBe('2026-07-15T13:00:00.000Z');
    expect(iso(fromLocal({ year: 2026, month: 1, day: 10, hour: 10, minute: 0 }, BERLIN))).toBe('2026-01-10T09:00:00.000Z');
    expect(iso(fromLocal({ year: 2026, month: 7, day: 10, hour: 10, minute: 0, second: 30 }, BERLIN))).toBe('2026-07-10T08:00:30.000Z');
  });

  test('New York spring-forward: skipped 02:30 resolves to 03:30 EDT', () => {
    const at = fromLocal({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, NY);
    expect(iso(at)).toBe('2026-03-08T07:30:00.000Z');
    expect(toLocal(at, NY)).toMatchObject({ day: 8, hour: 3, minute: 30 });
  });

  test('New York fall-back: ambiguous 01:30 resolves to its first (EDT) occurrence', () => {
    expect(toLocal(new Date('2026-11-01T06:30:00Z'), NY)).toMatchObject({ hour: 1, minute: 30 }); // the second one exists too
    expect(iso(fromLocal({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, NY))).toBe('2026-11-01T05:30:00.000Z');
  });

  test('Berlin spring-forward and fall-back', () => {
    expect(iso(fromLocal({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, BERLIN))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(fromLocal({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, BERLIN))).toBe('2026-10-25T00:30:00.000Z');
  });

  test('round-trips every hour of a DST-change week', () => {
    for (let h = 0; h < 7 * 24; h++) {
      const t = new Date(Date.UTC(2026, 2, 5) + h * 3_600_000);
      expect(iso(fromLocal(toLocal(t, NY), NY))).toBe(iso(t));
    }
  });
});

describe('nextLocalTime', () => {
  test('later the same day when the time is still ahead', () => {
    // 07:00 EST on Saturday
    expect(iso(nextLocalTime(new Date('2026-03-07T12:00:00Z'), '09:00', NY))).toBe('2026-03-07T14:00:00.000Z');
  });

  test('the next day when it has passed, on the new offset after spring-forward', () => {
    // 10:00 EST Saturday -> 09:00 EDT Sunday
    expect(iso(nextLocalTime(new Date('2026-03-07T15:00:00Z'), '09:00', NY))).toBe('2026-03-08T13:00:00.000Z');
  });

  test('exactly at the time returns that instant', () => {
    const t = new Date('2026-06-01T23:00:00Z'); // 08:00 JST
    expect(iso(nextLocalTime(t, '08:00', TOKYO))).toBe(iso(t));
  });

  test('crosses the local date line, not the UTC one', () => {
    // 09:00 JST on June 1 -> 08:00 JST on June 2
    expect(iso(nextLocalTime(new Date('2026-06-01T00:00:00Z'), '08:00', TOKYO))).toBe('2026-06-01T23:00:00.000Z');
  });

  test('rejects a bad clock', () => {
    expect(() => nextLocalTime(new Date(), '8am', TOKYO)).toThrow('invalid local time "8am"');
  });
});

describe('quiet-hours style checks', () => {
  test('the same instant is evening in Tokyo and morning in Los Angeles', () => {
    const t = new Date('2026-06-10T12:30:00Z');
    expect(localMinuteOfDay(t, TOKYO)).toBe(21 * 60 + 30);
    expect(localMinuteOfDay(t, LA)).toBe(5 * 60 + 30);
  });

  test('atLocalTimeOnSameDay uses the local calendar day', () => {
    // 16:30 PDT on June 1 (already June 2 in UTC) -> 21:00 PDT June 1
    expect(iso(atLocalTimeOnSameDay(new Date('2026-06-01T23:30:00Z'), '21:00', LA))).toBe('2026-06-02T04:00:00.000Z');
  });
});

describe('parseClock', () => {
  test.each([
    ['09:30', { hour: 9, minute: 30 }],
    ['9:05', { hour: 9, minute: 5 }],
    ['00:00', { hour: 0, minute: 0 }],
    ['23:59', { hour: 23, minute: 59 }],
  ])('%p', (text, clock) => {
    expect(parseClock(text)).toEqual(clock);
  });

  test.each(['24:00', '12:60', '9.30', '0930', '9:5', '', ' 09:30'])('rejects %p with an example', (text) => {
    expect(() => parseClock(text)).toThrow(`invalid local time "${text}": expected HH:MM, e.g. "09:30"`);
  });
});

describe('isValidTimeZone', () => {
  test.each([BERLIN, NY, 'UTC'])('%p is valid', (tz) => expect(isValidTimeZone(tz)).toBe(true));
  test.each(['Mars/Olympus', 'Europe/Berlinn', ''])('%p is not', (tz) => expect(isValidTimeZone(tz)).toBe(false));
});
