import { addYears, ageInYears, nextOccurrence, resolveWakeTime } from '../../sdk/schedule';
import { toLocal } from '../../sdk/timezone';

const NY = 'America/New_York';
const TOKYO = 'Asia/Tokyo';
const wake = (...args: Parameters<typeof resolveWakeTime>) => resolveWakeTime(...args).toISOString();

describe('resolveWakeTime', () => {
  test('a date-only string with localTime is that wall-clock time in the customer timezone', () => {
    expect(wake('2026-03-20', { localTime: '10:00' }, NY)).toBe('2026-03-20T14:00:00.000Z');
    expect(wake('2026-03-20', { localTime: '10:00' }, TOKYO)).toBe('2026-03-20T01:00:00.000Z');
  });

  test('a date-only string without localTime is local midnight', () => {
    expect(wake('2026-03-20', {}, 'Europe/Berlin')).toBe('2026-03-19T23:00:00.000Z');
  });

  test('"-14 days" keeps 10:00 local across the spring-forward change', () => {
    const at = resolveWakeTime('2026-03-20', { offset: '-14 days', localTime: '10:00' }, NY);
    expect(at.toISOString()).toBe('2026-03-06T15:00:00.000Z'); // EST, not 14:00Z
    expect(toLocal(at, NY)).toMatchObject({ month: 3, day: 6, hour: 10, minute: 0 });
  });

  test('"+7 days" keeps 09:00 local across the fall-back change', () => {
    expect(wake('2026-10-28', { offset: '7 days', localTime: '09:00' }, NY)).toBe('2026-11-04T14:00:00.000Z');
  });

  test('a part-day offset is added after the local time', () => {
    expect(wake('2026-03-20', { offset: '36h', localTime: '10:00' }, NY)).toBe('2026-03-22T02:00:00.000Z');
  });

  test('an ISO instant without options is taken as is, with an offset it is shifted', () => {
    expect(wake('2026-03-20T14:00:00Z', {}, NY)).toBe('2026-03-20T14:00:00.000Z');
    expect(wake(new Date('2026-03-20T14:00:00Z'), { offset: '36h' }, NY)).toBe('2026-03-22T02:00:00.000Z');
  });

  test('an ISO instant with localTime uses the calendar day it falls on for the customer', () => {
    // 22:00 EDT on March 19 -> 09:00 EDT on March 19
    expect(wake('2026-03-20T02:00:00Z', { localTime: '09:00' }, NY)).toBe('2026-03-19T13:00:00.000Z');
  });

  test('tz overrides the customer timezone; "customer" does not', () => {
    expect(wake('2026-03-20', { localTime: '10:00', tz: TOKYO }, NY)).toBe('2026-03-20T01:00:00.000Z');
    expect(wake('2026-03-20', { localTime: '10:00', tz: 'customer' }, NY)).toBe('2026-03-20T14:00:00.000Z');
  });

  test('rejects an unreadable date and a bad local time', () => {
    expect(() => resolveWakeTime('next tuesday', {}, NY)).toThrow('sleepUntil: invalid date "next tuesday"');
    expect(() => resolveWakeTime('2026-03-20', { localTime: '25:00' }, NY)).toThrow('invalid local time "25:00"');
  });
});

describe('ageInYears', () => {
  test('the birthday itself adds the year, the day before does not', () => {
    expect(ageInYears('1990-06-15', new Date('2026-06-14T23:59:00Z'))).toBe(35);
    expect(ageInYears('1990-06-15', new Date('2026-06-15T00:00:00Z'))).toBe(36);
  });

  test('a Feb 29 birthday counts from March 1 in a common year', () => {
    expect(ageInYears('2008-02-29', new Date('2026-02-28T12:00:00Z'))).toBe(17);
    expect(ageInYears('2008-02-29', new Date('2026-03-01T12:00:00Z'))).toBe(18);
  });
});

describe('addYears', () => {
  test.each([
    ['2024-02-29', 1, '2025-02-28'],
    ['2024-02-29', 4, '2028-02-29'],
    ['2000-02-29', 100, '2100-02-28'],
    ['1996-02-29', 4, '2000-02-29'],
    ['2026-01-05', -1, '2025-01-05'],
    ['2026-12-31', 1, '2027-12-31'],
  ])('%s + %i years = %s', (date, years, expected) => {
    expect(addYears(date, years)).toBe(expected);
  });
});

describe('nextOccurrence', () => {
  test('later this year, today, or next year', () => {
    expect(nextOccurrence('12-25', new Date('2026-12-24T10:00:00Z'))).toBe('2026-12-25');
    expect(nextOccurrence('12-25', new Date('2026-12-25T23:00:00Z'))).toBe('2026-12-25');
    expect(nextOccurrence('12-25', new Date('2026-12-26T00:00:00Z'))).toBe('2027-12-25');
  });

  test('Feb 29 falls on Feb 28 in common years and Feb 29 in leap years', () => {
    expect(nextOccurrence('02-29', new Date('2026-01-10T00:00:00Z'))).toBe('2026-02-28');
    expect(nextOccurrence('02-29', new Date('2027-03-01T00:00:00Z'))).toBe('2028-02-29');
  });
});
