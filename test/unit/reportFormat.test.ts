// The pure parts of `omnijourney report` (reporting/report.ts): the window bounds the CLI takes, and the units and
// p-values the text shows. The numbers themselves are checked on a real PostgreSQL in
// test/integration/report.postgres.test.ts.
import { factRange, formatPValue, humanDuration, windowBound } from '../../reporting/report';

const NOW = Date.parse('2026-11-30T12:00:00Z');

test('--since/--until: an offset back from now, or an ISO date or time (UTC unless it names a zone)', () => {
  expect(windowBound('30d', NOW)).toBe('2026-10-31T12:00:00.000Z');
  expect(windowBound('12h', NOW)).toBe('2026-11-30T00:00:00.000Z');
  expect(windowBound('90m', NOW)).toBe('2026-11-30T10:30:00.000Z');
  expect(windowBound('2w', NOW)).toBe('2026-11-16T12:00:00.000Z');
  expect(windowBound('2026-11-01', NOW)).toBe('2026-11-01T00:00:00.000Z');
  expect(windowBound('2026-11-01T09:00', NOW)).toBe('2026-11-01T09:00:00.000Z');
  expect(windowBound('2026-11-01 09:00:00', NOW)).toBe('2026-11-01T09:00:00.000Z');
  expect(windowBound('2026-11-01T09:00:00+02:00', NOW)).toBe('2026-11-01T07:00:00.000Z');
  for (const bad of ['yesterday', '30 days', '2026-13-45', 'March 7', '-3d', ''])
    expect(() => windowBound(bad, NOW)).toThrow(/neither an ISO date or time .* nor an offset back from now \(30d/);
});

test('a window must have since before until', () => {
  expect(factRange({ since: '2026-11-01', until: '2026-11-02' })).toEqual({ since: '2026-11-01T00:00:00.000Z', until: '2026-11-02T00:00:00.000Z' });
  expect(() => factRange({ since: '2026-11-02', until: '2026-11-01' })).toThrow(/must be before until/);
  expect(() => factRange({ since: 'soon' })).toThrow(/since is not a date or time/);
});

test('time to convert in the unit a person would say', () => {
  expect(humanDuration(250)).toBe('250 ms');
  expect(humanDuration(45_000)).toBe('45 s');
  expect(humanDuration(7.5 * 60_000)).toBe('7.5 min');
  expect(humanDuration(12 * 3_600_000)).toBe('12 h');
  expect(humanDuration(47 * 3_600_000)).toBe('47 h');
  expect(humanDuration(3.25 * 86_400_000)).toBe('3.3 days');
  expect(humanDuration(40 * 86_400_000)).toBe('40 days');
});

test('p-values: three decimals, and "p < 0.001" rather than 0.000', () => {
  expect(formatPValue(0.0342)).toBe('p = 0.034');
  expect(formatPValue(0.5)).toBe('p = 0.500');
  expect(formatPValue(1e-12)).toBe('p < 0.001');
});
