// Human durations for journey authors: '36h', '14 days', '1 hour 30 minutes', or milliseconds.
// Deterministic and dependency-free so it runs inside the workflow sandbox.

/** The units toMs knows, singular and plural. */
export type DurationUnit =
  | 'ms'
  | 'millisecond'
  | 'milliseconds'
  | 's'
  | 'sec'
  | 'secs'
  | 'second'
  | 'seconds'
  | 'm'
  | 'min'
  | 'mins'
  | 'minute'
  | 'minutes'
  | 'h'
  | 'hr'
  | 'hrs'
  | 'hour'
  | 'hours'
  | 'd'
  | 'day'
  | 'days'
  | 'w'
  | 'week'
  | 'weeks';
type DurationPart = `${number}${DurationUnit}` | `${number} ${DurationUnit}`;
/** '36h', '14 days', '1 hour 30 minutes', or milliseconds. A template-literal type, so `tsc` rejects a typo
 *  such as '14 dayz' in a journey before it ever runs. (Two parts only in the spaced form: every form of
 *  both would be a union too large for TypeScript to compare.) */
export type Duration = number | DurationPart | `${number} ${DurationUnit} ${number} ${DurationUnit}`;
/** A Duration with an optional sign, for offsets before or after a date ('-14 days'). */
export type SignedDuration = Duration | `-${DurationPart}` | `+${DurationPart}`;

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
};

/** Converts a duration to milliseconds; throws with the offending text when it cannot. Takes any string too:
 *  scenario files and other data are checked here, at run time. */
export function toMs(duration: Duration | string): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0) throw new Error(`invalid duration ${duration}: expected a non-negative number of milliseconds`);
    return duration;
  }
  const text = duration.trim().toLowerCase();
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
  let total = 0;
  let consumed = '';
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    // Exact unit first ("ms" is milliseconds), then without a plural s ("days").
    const ms = UNIT_MS[match[2]] ?? UNIT_MS[match[2].replace(/s$/, '')];
    if (ms === undefined) throw new Error(`invalid duration "${duration}": unknown unit "${match[2]}" (use ms, s, m, h, d or w)`);
    total += Number(match[1]) * ms;
    consumed += match[0];
  }
  if (!consumed || consumed.replace(/\s/g, '') !== text.replace(/\s/g, '')) {
    throw new Error(`invalid duration "${duration}": expected e.g. "36h", "14 days" or "1 hour 30 minutes"`);
  }
  return Math.round(total);
}

/** Parses an offset like "0d", "36h", "400d" or an ISO timestamp, relative to `start`. */
export function resolveInstant(at: string, start: Date): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(at)) {
    const d = new Date(at);
    if (Number.isNaN(d.getTime())) throw new Error(`invalid timestamp "${at}"`);
    return d;
  }
  return new Date(start.getTime() + toMs(at));
}

/** Like toMs, but accepts a leading minus ("-14 days") for offsets before a date. */
export function toSignedMs(duration: SignedDuration | string): number {
  if (typeof duration === 'number') return duration;
  const t = duration.trim();
  return t.startsWith('-') ? -toMs(t.slice(1)) : toMs(t.startsWith('+') ? t.slice(1) : t);
}
