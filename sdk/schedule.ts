// Schedule maths shared by the engine and the unit-test driver: when does "sleepUntil" wake up?
import { toSignedMs } from './duration';
import type { SleepUntilOptions } from './journey';
import { fromLocal, parseClock, toLocal } from './timezone';

const DAY = 86_400_000;

/**
 * Resolves a sleepUntil target. A date-only string is a calendar day in the timezone; whole-day
 * offsets move the calendar day (so "10:00 local" stays 10:00 across a DST change).
 */
export function resolveWakeTime(date: Date | string, options: SleepUntilOptions, customerTz: string): Date {
  const tz = !options.tz || options.tz === 'customer' ? customerTz : options.tz;
  const offset = options.offset === undefined ? 0 : toSignedMs(options.offset);
  const dayOffset = offset % DAY === 0 ? offset / DAY : 0;
  const restOffset = offset % DAY === 0 ? 0 : offset;

  let calendar: { year: number; month: number; day: number } | null = null;
  let instant: Date | null = null;
  if (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date)) {
    const [year, month, day] = date.split('-').map(Number);
    calendar = { year, month, day };
  } else {
    instant = typeof date === 'string' ? new Date(date) : date;
    if (Number.isNaN(instant.getTime())) throw new Error(`sleepUntil: invalid date "${String(date)}"`);
  }

  if (options.localTime || calendar) {
    const base = calendar ?? toLocal(instant as Date, tz);
    const shifted = new Date(Date.UTC(base.year, base.month - 1, base.day + dayOffset));
    const { hour, minute } = options.localTime ? parseClock(options.localTime) : { hour: 0, minute: 0 };
    const at = fromLocal({ year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate(), hour, minute }, tz);
    return new Date(at.getTime() + restOffset);
  }
  return new Date((instant as Date).getTime() + offset);
}

/** Whole years between a YYYY-MM-DD birth date and `now` (calendar-correct). */
export function ageInYears(birthDate: string, now: Date): number {
  const [y, m, d] = birthDate.split('-').map(Number);
  let age = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) age -= 1;
  return age;
}

/** The YYYY-MM-DD date `years` after a YYYY-MM-DD date (Feb 29 → Feb 28 in non-leap years). */
export function addYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const ty = y + years;
  const leap = (ty % 4 === 0 && ty % 100 !== 0) || ty % 400 === 0;
  const day = m === 2 && d === 29 && !leap ? 28 : d;
  return `${ty}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The next date (YYYY-MM-DD, on or after `now`) on which a yearly MM-DD occurs. */
export function nextOccurrence(monthDay: string, now: Date): string {
  const y = now.getUTCFullYear();
  const thisYear = addYears(`2000-${monthDay}`, y - 2000);
  const today = now.toISOString().slice(0, 10);
  return thisYear >= today ? thisYear : addYears(`2000-${monthDay}`, y + 1 - 2000);
}
