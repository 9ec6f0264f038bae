// Local-time arithmetic in a named IANA timezone with Intl only (works in the workflow sandbox).
// DST-correct: a wall-clock time is resolved to the instant it has in that zone on that date.

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of `instant` in `tz`. */
export function toLocal(instant: Date, tz: string): LocalDateTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(instant)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour % 24, minute: parts.minute, second: parts.second };
}

function offsetMs(instant: Date, tz: string): number {
  const l = toLocal(instant, tz);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `tz` reads `local`. A time skipped by a spring-forward
 * change resolves to the same wall time shifted by the gap (02:30 → 03:30); an ambiguous fall-back
 * time resolves to its first occurrence.
 */
export function fromLocal(local: Omit<LocalDateTime, 'second'> & { second?: number }, tz: string): Date {
  const naive = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second ?? 0);
  // Offsets change at most once within a few hours: try the offset in force before and after.
  const candidates = [...new Set([naive - offsetMs(new Date(naive - 14 * 3_600_000), tz), naive - offsetMs(new Date(naive + 14 * 3_600_000), tz)])];
  const matches = candidates.filter((c) => {
    const l = toLocal(new Date(c), tz);
    return l.day === local.day && l.hour === local.hour && l.minute === local.minute;
  });
  // Ambiguous (fall back): the first occurrence. Skipped (spring forward): the later reading, shifted by the gap.
  return new Date(matches.length ? Math.min(...matches) : Math.max(...candidates));
}

/** Parses "HH:MM" (24-hour). */
export function parseClock(text: string): { hour: number; minute: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new Error(`invalid local time "${text}": expected HH:MM, e.g. "09:30"`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** The first instant at or after `from` whose local time in `tz` is `clock` ("HH:MM"). */
export function nextLocalTime(from: Date, clock: string, tz: string): Date {
  const { hour, minute } = parseClock(clock);
  const l = toLocal(from, tz);
  for (let addDays = 0; addDays < 3; addDays++) {
    const day = new Date(Date.UTC(l.year, l.month - 1, l.day + addDays));
    const candidate = fromLocal({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour, minute }, tz);
    if (candidate.getTime() >= from.getTime()) return candidate;
  }
  throw new Error(`no local time ${clock} found after ${from.toISOString()} in ${tz}`);
}

/** The instant of `clock` local time on the calendar day (in `tz`) that contains `instant`. */
export function atLocalTimeOnSameDay(instant: Date, clock: string, tz: string): Date {
  const { hour, minute } = parseClock(clock);
  const l = toLocal(instant, tz);
  return fromLocal({ year: l.year, month: l.month, day: l.day, hour, minute }, tz);
}

/** Minutes since local midnight. */
export function localMinuteOfDay(instant: Date, tz: string): number {
  const l = toLocal(instant, tz);
  return l.hour * 60 + l.minute;
}
