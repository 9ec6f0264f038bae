// Calendar-date helpers shared by journeys (pure, so they run in the workflow sandbox).
import { toLocal } from '../sdk/timezone';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The calendar day (YYYY-MM-DD) an instant falls on in `tz`. */
export function localDate(instant: Date | string, tz: string): string {
  const l = toLocal(typeof instant === 'string' ? new Date(instant) : instant, tz);
  return `${l.year}-${String(l.month).padStart(2, '0')}-${String(l.day).padStart(2, '0')}`;
}

/** "2026-01-05" → "5 January 2026", for message copy (no host-timezone surprises in templates). */
export function longDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return `${d} ${MONTHS[m - 1]} ${y}`;
}
