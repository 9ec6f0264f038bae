// `omnijourney report <journey>` and the dashboard: one journey's outcomes from its facts (store/report.ts has
// the SQL), as a JourneyReport (reporting/types.ts), and the plain-text report a marketer reads.
import type { Pool } from 'pg';
import {
  armOutcomes,
  customerCount,
  entryRefusals,
  type FactRange,
  journeysWithFacts,
  lastFactAt,
  messageAggregates,
  type MessageRow,
  reportNames,
  runOutcomes,
} from '../store/report';
import { type ArmCounts, compareArms, METHOD, MIN_EXPECTED_COUNT, MIN_SAMPLE_PER_ARM } from './stats';
import type { JourneyReport, JourneySummary, ReportWindow } from './types';

type Db = Pick<Pool, 'query'>;

/** The window as the store takes it: each bound checked and made an ISO instant. */
export function factRange(window: ReportWindow): FactRange {
  const range: FactRange = {};
  for (const name of ['since', 'until'] as const) {
    const raw = window[name];
    if (raw === undefined) continue;
    const ms = Date.parse(raw);
    if (!Number.isFinite(ms)) throw new RangeError(`${name} is not a date or time: ${JSON.stringify(raw)}`);
    range[name] = new Date(ms).toISOString();
  }
  if (range.since && range.until && range.since >= range.until) throw new RangeError(`since (${range.since}) must be before until (${range.until})`);
  return range;
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A window bound as `--since`/`--until` take it: an ISO date or time (UTC unless it names a zone), or an offset
 *  back from now (`30d`, `12h`, `90m`, `2w`). */
export function windowBound(text: string, now: number = Date.now()): string {
  const t = text.trim();
  const offset = /^(\d+)\s*([mhdw])$/.exec(t);
  if (offset) return new Date(now - Number(offset[1]) * UNIT_MS[offset[2]]).toISOString();
  const m = ISO_DATE_TIME.exec(t);
  const ms = m ? Date.parse(/[T ]/.test(t) && !m[1] ? `${t.replace(' ', 'T')}Z` : t.replace(' ', 'T')) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new RangeError(`"${text}" is neither an ISO date or time (2026-11-01, 2026-11-01T09:00Z) nor an offset back from now (30d, 12h, 90m, 2w)`);
  return new Date(ms).toISOString();
}

/** One journey's report over the runs that entered in [since, until): seven statements side by side on the
 *  pool's connections (PostgreSQL runs each on a core of its own); the runs' outcomes and the arms' counts wait
 *  for the step and arm names. */
export async function buildReport(db: Db, journey: string, window: ReportWindow = {}): Promise<JourneyReport> {
  const range = factRange(window);
  const generatedAt = new Date().toISOString();
  const namesOf = reportNames(db, journey, range);
  const [names, runs, arms, customers, messages, refusals] = await Promise.all([
    namesOf,
    namesOf.then((n) => runOutcomes(db, journey, range, n.steps)),
    namesOf.then((n) => armOutcomes(db, journey, range, n.arms)),
    customerCount(db, journey, range),
    messageAggregates(db, journey, range),
    entryRefusals(db, journey, range),
  ]);
  const funnel = names.steps.map((step, i) => ({ step, reached: runs.reached[i], now: runs.now[i] })).filter((s) => s.reached > 0);
  return {
    journey,
    ...range,
    generatedAt,
    entered: runs.entered,
    customers,
    notEntered: refusals.notEntered.sort((a, b) => b.count - a.count || cmp(a.reason, b.reason)),
    rejected: refusals.rejected,
    active: runs.active,
    ended: { completed: runs.completed, exited: runs.exited, failed: runs.failed },
    funnel,
    messages: messagesOf(messages),
    conversions: {
      runs: runs.converted,
      rate: runs.entered === 0 ? 0 : runs.converted / runs.entered,
      medianMsToConvert: runs.medianMsToConvert,
      afterEnd: runs.afterEnd,
    },
    splits: splitsOf(names.arms.map((a, i) => ({ ...a, customers: arms.runs[i], conversions: arms.conversions[i] })).filter((a) => a.customers > 0)),
    deliveriesByDay: messages
      .filter((m) => m.kind === 'delivery')
      .map((m) => ({ day: m.day, status: m.status ?? 'unknown', reason: m.reason, count: m.count }))
      .sort((a, b) => cmp(a.day, b.day) || cmp(a.status, b.status) || cmp(a.reason ?? '', b.reason ?? '')),
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type Message = JourneyReport['messages'][number];

/** Message rows per template and channel, the days summed; statuses other than sent, suppressed, deferred and
 *  failed (none today) are left out of the delivery columns. */
function messagesOf(rows: MessageRow[]): Message[] {
  const byKey = new Map<string, Message>();
  const add = (list: Array<{ reason?: string; status?: string; count: number }>, key: 'reason' | 'status', value: string, n: number) => {
    const found = list.find((x) => x[key] === value);
    if (found) found.count += n;
    else list.push({ [key]: value, count: n });
  };
  for (const r of rows) {
    const template = r.template ?? '(no template)';
    const key = JSON.stringify([template, r.channel]);
    let m = byKey.get(key);
    if (!m) {
      m = { template, channel: r.channel, sent: 0, suppressed: [], deferred: 0, failed: 0, provider: [] };
      byKey.set(key, m);
    }
    if (r.kind === 'provider') add(m.provider as Array<{ status: string; count: number }>, 'status', r.status ?? 'unknown', r.count);
    else if (r.status === 'sent') m.sent += r.count;
    else if (r.status === 'deferred') m.deferred += r.count;
    else if (r.status === 'failed') m.failed += r.count;
    else if (r.status === 'suppressed') add(m.suppressed as Array<{ reason: string; count: number }>, 'reason', r.reason ?? 'unknown', r.count);
  }
  const byCount = <T extends { count: number }>(list: T[], name: (x: T) => string) => list.sort((a, b) => b.count - a.count || cmp(name(a), name(b)));
  return [...byKey.values()]
    .map((m) => ({ ...m, suppressed: byCount(m.suppressed, (x) => x.reason), provider: byCount(m.provider, (x) => x.status) }))
    .sort(
      (a, b) => cmp(a.template, b.template) || (a.channel === b.channel ? 0 : a.channel === null ? 1 : b.channel === null ? -1 : cmp(a.channel, b.channel)),
    );
}

/** Arms grouped per split (arms in name order), each compared with the control by compareArms' own rule: the arm
 *  named 'control' when there is one, else the first arm by name. */
function splitsOf(arms: Array<ArmCounts & { split: string }>): JourneyReport['splits'] {
  const splits = [...new Set(arms.map((a) => a.split))].sort(cmp);
  return splits.map((split) => {
    const counts = arms.filter((a) => a.split === split).map(({ arm, customers, conversions }) => ({ arm, customers, conversions }));
    const comparisons = compareArms(counts);
    return {
      split,
      control: comparisons[0]?.control ?? (counts.some((a) => a.arm === 'control') ? 'control' : counts[0].arm),
      arms: counts.map((a) => ({ ...a, rate: a.customers === 0 ? 0 : a.conversions / a.customers })),
      comparisons,
    };
  });
}

/** The dashboard's journey list: every journey with a fact in [since, until), by name. One report's run
 *  outcomes per journey (no funnel), side by side on the pool. */
export async function listJourneys(db: Db, window: ReportWindow = {}): Promise<JourneySummary[]> {
  const range = factRange(window);
  const all = await journeysWithFacts(db);
  const rows = await Promise.all(
    all.map(async (journey): Promise<JourneySummary | undefined> => {
      const lastAt = await lastFactAt(db, journey, range);
      if (!lastAt) return undefined;
      const runs = await runOutcomes(db, journey, range, []);
      return { journey, entered: runs.entered, active: runs.active, converted: runs.converted, lastAt };
    }),
  );
  return rows.filter((r): r is JourneySummary => r !== undefined);
}

/** Journeys that have facts at all (for "no facts for this journey; these have some"). */
export { journeysWithFacts };

// ---- The plain-text report -------------------------------------------------------------------------------

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const pts = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(1)} pts`;
const num = (n: number): string => n.toLocaleString('en-US');
const utc = (iso: string): string => iso.replace('T', ' ').replace(/:\d{2}\.\d{3}Z$/, ' UTC');

/** A duration in the unit a person would say: 45 s, 12 min, 5.5 h, 3.2 days. */
export function humanDuration(ms: number): string {
  const round = (x: number) => (x < 10 ? Math.round(x * 10) / 10 : Math.round(x));
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${round(ms / 60_000)} min`;
  if (ms < 48 * 3_600_000) return `${round(ms / 3_600_000)} h`;
  return `${round(ms / 86_400_000)} days`;
}

export const formatPValue = (p: number): string => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned unless marked. */
function table(rows: string[][], leftAligned: number[] = [0]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => `  ${r.map((cell, c) => (leftAligned.includes(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')}`.trimEnd());
}

const listOf = <K extends 'reason' | 'status'>(xs: Array<{ count: number } & Record<K, string>>, key: K): string =>
  xs.length ? xs.map((x) => `${x[key]} ${num(x.count)}`).join(', ') : '–';

/** The report as plain text: what a marketer reads in a terminal or pastes into a message. */
export function formatReport(r: JourneyReport): string {
  const out: string[] = [];
  const window =
    r.since || r.until
      ? `runs that entered ${r.since ? `from ${utc(r.since)}` : ''}${r.since && r.until ? ' ' : ''}${r.until ? `until ${utc(r.until)}` : ''}`
      : 'all runs';
  out.push(`Journey ${r.journey} — ${window} (generated ${utc(r.generatedAt)})`, '');
  const notEntered = r.notEntered.reduce((n, x) => n + x.count, 0);
  const endedByGoal = r.entered - r.active - r.ended.completed - r.ended.exited - r.ended.failed;
  out.push(
    `Entered       ${num(r.entered)} runs (${num(r.customers)} customers)`,
    `Not entered   ${num(notEntered)}${notEntered ? ` (${listOf(r.notEntered, 'reason')})` : ''}; rejected by the trigger's schema: ${num(r.rejected)}`,
    `Now           ${num(r.active)} active; ended: ${num(r.ended.completed)} completed, ${num(r.ended.exited)} exited, ${num(r.ended.failed)} failed, ${num(endedByGoal)} by reaching the goal`,
    '',
  );
  out.push('Funnel (runs that reached each step; "now": active runs whose latest step it is)');
  if (r.funnel.length === 0) out.push('  no steps recorded');
  else
    out.push(
      ...table([
        ['step', 'reached', 'of entered', 'now'],
        ...r.funnel.map((s) => [s.step, num(s.reached), r.entered ? pct(s.reached / r.entered) : '–', num(s.now)]),
      ]),
    );
  out.push('', 'Messages (delivery decisions; provider: status callbacks)');
  if (r.messages.length === 0) out.push('  no messages');
  else
    out.push(
      ...table(
        [
          ['template', 'channel', 'sent', 'deferred', 'failed', 'suppressed', 'provider'],
          ...r.messages.map((m) => [
            m.template,
            m.channel ?? '(none chosen)',
            num(m.sent),
            num(m.deferred),
            num(m.failed),
            `${num(m.suppressed.reduce((n, x) => n + x.count, 0))}${m.suppressed.length ? ` (${listOf(m.suppressed, 'reason')})` : ''}`,
            listOf(m.provider, 'status'),
          ]),
        ],
        [0, 1, 5, 6],
      ),
    );
  const c = r.conversions;
  out.push(
    '',
    `Conversions   ${num(c.runs)} runs converted, ${pct(c.rate)} of entered` +
      (c.medianMsToConvert === null ? '' : `; median time from entry to conversion ${humanDuration(c.medianMsToConvert)}`) +
      (c.afterEnd ? `; ${num(c.afterEnd)} of them converted only after their run had ended` : ''),
  );
  for (const s of r.splits) out.push('', ...formatSplit(s));
  if (r.splits.length)
    out.push(
      '',
      `Method: ${METHOD}. A verdict needs ${MIN_SAMPLE_PER_ARM} customers in each arm and an expected count of at least ${MIN_EXPECTED_COUNT} conversions and non-conversions; significance at 5% (two-sided).`,
    );
  return `${out.join('\n')}\n`;
}

function formatSplit(s: JourneyReport['splits'][number]): string[] {
  const lines = [`Split "${s.split}" (control arm: ${s.control})`];
  lines.push(...table([['arm', 'customers', 'conversions', 'rate'], ...s.arms.map((a) => [a.arm, num(a.customers), num(a.conversions), pct(a.rate)])]));
  for (const k of s.comparisons) {
    const uplift = k.uplift === null ? '' : `, uplift ${k.uplift >= 0 ? '+' : '−'}${Math.abs(k.uplift * 100).toFixed(1)}%`;
    lines.push(
      `  ${k.arm} vs ${k.control}: ${pts(k.difference)} (95% CI ${pts(k.ci95[0])} to ${pts(k.ci95[1])}${uplift}), ${formatPValue(k.pValue)}: ${k.verdict}`,
    );
  }
  return lines;
}
