// `omnijourney report` on a real PostgreSQL (harness/postgresProcess.ts), migrated as the worker does: 400 runs of
// one journey, every fact of which follows from the run number (i % 20 picks each run's story, so every count
// below is worked out by hand in the comments), plus a small second journey. Then every number a marketer sees:
// entered, customers, refusals, endings, the funnel (reached and now), messages by template and channel,
// conversions, both splits (an A/B offer and a holdout) with their comparison, a window from each side, the
// journey list, and the CLI as a user runs it: its JSON, its text with the verdict, and its exit when
// DATABASE_URL is unset or the journey has no facts.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import type { Fact, FactKind } from '../../domain/facts';
import { startPostgresProcess, type PostgresProcess } from '../../harness/postgresProcess';
import { buildReport, formatReport, listJourneys } from '../../reporting/report';
import { compareArms, median } from '../../reporting/stats';
import type { JourneyReport } from '../../reporting/types';
import { insertFacts } from '../../store/facts';
import { migrate } from '../../store/migrate';
import { openPool } from '../../store/pool';

const root = join(__dirname, '..', '..');
const JOURNEY = 'welcome-report';
const CART = 'cart-report';
const T0 = Date.parse('2026-10-01T00:00:00Z');
const S = 1000;
const H = 3600 * S;
const D = 24 * H;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Run i (0..399) enters at T0 + i hours as customer c<i % 360> (runs 360..399 are second entries). By r = i % 20:
 * - every run: step welcome; split offer (a when i is even, b when odd); split holdout (control when r % 5 == 0);
 * - control (r 0, 5, 10, 15): completed at once; r 0 converts after the end (+1 day);
 * - treatment: the hello message by SMS when i % 4 == 2 (r 2, 6, 14, 18), else email: r 1 suppressed for consent,
 *   r 9 suppressed by the cap before a channel was chosen, r 3 deferred for quiet hours and sent 8 h later, the rest
 *   sent; SMS gets a provider status, undelivered for r 14; then step wait-for-purchase;
 * - r 8, 12 exit (unsubscribed) and r 14 fails at +6 h; r 2, 3, 7, 9, 11, 13, 17, 18 convert at +12 h, which ends
 *   the run except for r 18, whose run goes on (goal.exit: false) to step tips;
 * - r 1, 4, 6, 18, 19 reach step tips at +1 day (the tips email: failed for r 4, sent otherwise); r 1, 4, 6, 19
 *   complete at +2 days; r 6 and 19 convert after the end at +3 days; r 3 converts again, after its end, at +5 days;
 * - r 16 stays at wait-for-purchase, r 18 at tips (which it reaches twice, going round a loop): the active runs.
 */
function welcomeFacts(): Fact[] {
  const facts: Fact[] = [];
  for (let i = 0; i < 400; i++) {
    const r = i % 20;
    const customerId = `c${i % 360}`;
    const workflowId = `journey:${JOURNEY}:${customerId}`;
    const run = `${workflowId}/${i < 360 ? 1 : 2}`;
    const t = T0 + i * H;
    let n = 0;
    const add = (kind: FactKind, offset: number, extra: Partial<Fact> = {}) =>
      facts.push({
        id: `${workflowId}/r${i}/${++n}`,
        kind,
        at: iso(t + offset),
        journey: JOURNEY,
        version: 1,
        customerId,
        run,
        workflowId,
        runId: `r${i}`,
        ...extra,
      });
    const send = (offset: number, template: string, channel: string | undefined, status: string, reason?: string) =>
      add('delivery', offset, { template, channel, status, reason, messageId: `${run}.${n + 1}` });
    add('entered', 0, { detail: 'user.signed_up' });
    add('step', S, { step: 'welcome' });
    add('split', 2 * S, { split: 'offer', arm: i % 2 === 0 ? 'a' : 'b' });
    const control = r % 5 === 0;
    add('split', 3 * S, { split: 'holdout', arm: control ? 'control' : 'treatment' });
    if (control) {
      add('completed', 4 * S);
      if (r === 0) add('converted', D, { reason: 'after-end', detail: 'order.placed' });
      continue;
    }
    const channel = i % 4 === 2 ? 'sms' : 'email';
    if (r === 1) send(4 * S, 'welcome/hello', 'email', 'suppressed', 'consent');
    else if (r === 9) send(4 * S, 'welcome/hello', undefined, 'suppressed', 'cap');
    else if (r === 3) {
      send(4 * S, 'welcome/hello', 'email', 'deferred', 'quiet-hours');
      send(8 * H, 'welcome/hello', 'email', 'sent');
    } else send(4 * S, 'welcome/hello', channel, 'sent');
    if (channel === 'sms')
      add('provider', 5 * S, { template: 'welcome/hello', channel, status: r === 14 ? 'undelivered' : 'delivered', reason: r === 14 ? '30003' : undefined });
    add('step', 6 * S, { step: 'wait-for-purchase' });
    if (r === 8 || r === 12) add('exited', 6 * H, { reason: 'unsubscribed' });
    if (r === 14) add('failed', 6 * H, { reason: 'journey code threw' });
    if ([2, 3, 7, 9, 11, 13, 17, 18].includes(r)) add('converted', 12 * H, { detail: 'order.placed' });
    if ([1, 4, 6, 18, 19].includes(r)) {
      add('step', D, { step: 'tips' });
      send(D + S, 'welcome/tips', 'email', r === 4 ? 'failed' : 'sent', r === 4 ? 'smtp 550' : undefined);
    }
    // r 18 goes round a loop: tips and the offer split again (the same arm), counted once in the funnel and the split.
    if (r === 18) {
      add('step', D + H, { step: 'tips' });
      add('split', D + H + S, { split: 'offer', arm: 'a' });
    }
    if ([1, 4, 6, 19].includes(r)) add('completed', 2 * D);
    if (r === 6 || r === 19) add('converted', 3 * D, { reason: 'after-end', detail: 'order.placed' });
    if (r === 3) add('converted', 5 * D, { reason: 'after-end', detail: 'order.placed' });
  }
  // Refusals, by their own time: cooldown 7 (4 before hour 200), running 5, never 3, when 2; rejected 4 (2 before).
  const refusals: Array<[FactKind, string, number[]]> = [
    ['not-entered', 'cooldown', [10, 11, 12, 13, 300, 301, 302]],
    ['not-entered', 'running', [20, 21, 22, 23, 24]],
    ['not-entered', 'never', [250, 251, 252]],
    ['not-entered', 'when', [260, 261]],
    ['rejected', 'properties.plan: Required', [30, 31, 310, 311]],
  ];
  for (const [kind, reason, hours] of refusals)
    for (const h of hours)
      facts.push({
        id: `customer:x${h}/r/${kind}`,
        kind,
        at: iso(T0 + h * H),
        journey: JOURNEY,
        customerId: `x${h}`,
        workflowId: `customer:x${h}`,
        runId: 'r',
        reason,
      });
  return facts;
}

/** Three runs of a second journey: one converts (and so ends), one is still at its reminder, one completes. */
function cartFacts(): Fact[] {
  const runs: Array<[string, number, Array<[FactKind, number, Partial<Fact>]>]> = [
    ['k1', 50, [['converted', H, { detail: 'order.placed' }]]],
    ['k2', 60, [['step', H, { step: 'reminder' }]]],
    ['k3', 70, [['completed', 2 * H, {}]]],
  ];
  return runs.flatMap(([customerId, hour, rest]) => {
    const workflowId = `journey:${CART}:${customerId}`;
    const base = { journey: CART, version: 1, customerId, run: `${workflowId}/1`, workflowId, runId: 'r' };
    return [['entered', 0, {}] as [FactKind, number, Partial<Fact>], ...rest].map(([kind, offset, extra], n) => ({
      id: `${workflowId}/r/${n + 1}`,
      kind,
      at: iso(T0 + hour * H + offset),
      ...base,
      ...extra,
    }));
  });
}

let tmp: string;
let postgres: PostgresProcess;
let pool: Pool;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'omnijourney-report-'));
  chmodSync(tmp, 0o755); // as root, PostgreSQL runs as the postgres user, which must enter this folder
  postgres = await startPostgresProcess(join(tmp, 'postgres'), { fast: true });
  await migrate(postgres.url);
  pool = openPool(postgres.url);
  const facts = [...welcomeFacts(), ...cartFacts()];
  for (let k = 0; k < facts.length; k += 1000) await insertFacts(pool, facts.slice(k, k + 1000));
});

afterAll(async () => {
  await pool?.end();
  await postgres?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A report with every share of the whole divided by `k` (a window of 1/k of the runs, every residue alike). */
function expectedCounts(k: number) {
  const n = (x: number) => x / k;
  return {
    entered: n(400),
    active: n(40), // r 16, 18
    ended: { completed: n(160), exited: n(40), failed: n(20) }, // control 80 + r 1, 4, 6, 19; r 8, 12; r 14
    funnel: [
      { step: 'welcome', reached: n(400), now: 0 },
      { step: 'wait-for-purchase', reached: n(320), now: n(20) }, // treatment; r 16 is still there
      { step: 'tips', reached: n(100), now: n(20) }, // r 1, 4, 6, 18, 19; r 18 is still there
    ],
    messages: [
      // email: r 3, 4, 7, 8, 11, 12, 13, 16, 17, 19 sent (r 3 after a deferral); r 1 suppressed for consent
      {
        template: 'welcome/hello',
        channel: 'email',
        sent: n(200),
        suppressed: [{ reason: 'consent', count: n(20) }],
        deferred: n(20),
        failed: 0,
        provider: [],
      },
      // SMS: r 2, 6, 14, 18; r 14 undelivered
      {
        template: 'welcome/hello',
        channel: 'sms',
        sent: n(80),
        suppressed: [],
        deferred: 0,
        failed: 0,
        provider: [
          { status: 'delivered', count: n(60) },
          { status: 'undelivered', count: n(20) },
        ],
      },
      // r 9: the cap, before a channel was chosen
      { template: 'welcome/hello', channel: null, sent: 0, suppressed: [{ reason: 'cap', count: n(20) }], deferred: 0, failed: 0, provider: [] },
      // r 1, 6, 18, 19 sent; r 4 failed
      { template: 'welcome/tips', channel: 'email', sent: n(80), suppressed: [], deferred: 0, failed: n(20), provider: [] },
    ],
    // r 0, 2, 3, 6, 7, 9, 11, 13, 17, 18, 19; only after the end: r 0, 6, 19 (r 3 converted in its run first)
    conversions: { runs: n(220), rate: 0.55, afterEnd: n(60) },
    arms: {
      holdout: [
        { arm: 'control', customers: n(80), conversions: n(20), rate: 0.25 }, // r 0
        { arm: 'treatment', customers: n(320), conversions: n(200), rate: 0.625 },
      ],
      offer: [
        { arm: 'a', customers: n(200), conversions: n(80), rate: 0.4 }, // r 0, 2, 6, 18
        { arm: 'b', customers: n(200), conversions: n(140), rate: 0.7 }, // r 3, 7, 9, 11, 13, 17, 19
      ],
    },
  };
}

function expectReport(report: JourneyReport, k: number): void {
  const e = expectedCounts(k);
  expect(report.entered).toBe(e.entered);
  expect(report.active).toBe(e.active);
  expect(report.ended).toEqual(e.ended);
  // The rest ended by converting: r 2, 3, 7, 9, 11, 13, 17.
  expect(report.entered - report.active - report.ended.completed - report.ended.exited - report.ended.failed).toBe(140 / k);
  expect(report.funnel).toEqual(e.funnel);
  expect(report.messages).toEqual(e.messages);
  // 160 conversions 12 h after entry (r 2, 3, 7, 9, 11, 13, 17, 18), 20 after a day (r 0), 40 after 3 days (r 6, 19).
  const times = [...Array(160 / k).fill(12 * H), ...Array(20 / k).fill(D), ...Array(40 / k).fill(3 * D)];
  expect(report.conversions).toEqual({ ...e.conversions, medianMsToConvert: median(times) });
  expect(report.conversions.medianMsToConvert).toBe(12 * H);
  expect(report.splits.map((s) => s.split)).toEqual(['holdout', 'offer']);
  for (const s of report.splits) {
    const arms = e.arms[s.split as 'holdout' | 'offer'];
    expect(s.arms).toEqual(arms);
    expect(s.control).toBe(s.split === 'holdout' ? 'control' : 'a');
    expect(s.comparisons).toEqual(compareArms(arms.map(({ arm, customers, conversions }) => ({ arm, customers, conversions }))));
  }
}

test('the whole journey: every number of the report', async () => {
  const report = await buildReport(pool, JOURNEY);
  expectReport(report, 1);
  expect(report.since).toBeUndefined();
  expect(report.until).toBeUndefined();
  expect(report.customers).toBe(360);
  expect(report.notEntered).toEqual([
    { reason: 'cooldown', count: 7 },
    { reason: 'running', count: 5 },
    { reason: 'never', count: 3 },
    { reason: 'when', count: 2 },
  ]);
  expect(report.rejected).toBe(4);
  // Both splits are decided: the treatment and offer b convert better, far beyond chance.
  const verdicts = report.splits.flatMap((s) => s.comparisons.map((c) => [s.split, c.arm, c.verdict, c.pValue < 0.001]));
  expect(verdicts).toEqual([
    ['holdout', 'treatment', 'better than control', true],
    ['offer', 'b', 'better than control', true],
  ]);
  expect(report.splits[1].comparisons[0]).toMatchObject({ control: 'a', difference: expect.closeTo(0.3, 10) });
  // Deliveries per UTC day: every decision once, none of the provider statuses.
  const byDay = report.deliveriesByDay;
  expect(byDay.reduce((n, d) => n + d.count, 0)).toBe(200 + 20 + 20 + 80 + 20 + 80 + 20);
  expect(byDay.filter((d) => d.status === 'suppressed').reduce((n, d) => n + d.count, 0)).toBe(40);
  // Day one (runs 0..23): r 3 and r 23 deferred for quiet hours at once, then sent 8 h later.
  expect(byDay[0]).toEqual({ day: '2026-10-01', status: 'deferred', reason: 'quiet-hours', count: 2 });
  expect(byDay.map((d) => d.day)).toEqual([...byDay.map((d) => d.day)].sort());
  expect(Date.parse(report.generatedAt)).toBeGreaterThan(Date.now() - 60_000);
});

test('a window from `since`: the runs that entered from hour 200 on, with all their facts, and the refusals since then', async () => {
  const since = iso(T0 + 200 * H);
  const report = await buildReport(pool, JOURNEY, { since });
  expect(report.since).toBe(since);
  expectReport(report, 2);
  // c200..c359 and c0..c39 (their second runs)
  expect(report.customers).toBe(200);
  expect(report.notEntered).toEqual([
    { reason: 'cooldown', count: 3 },
    { reason: 'never', count: 3 },
    { reason: 'when', count: 2 },
  ]);
  expect(report.rejected).toBe(2);
});

test('a window up to `until`: runs that entered before hour 100, with the facts they had after it', async () => {
  const report = await buildReport(pool, JOURNEY, { until: iso(T0 + 100 * H) });
  expectReport(report, 4);
  expect(report.customers).toBe(100);
  expect(report.notEntered).toEqual([
    { reason: 'running', count: 5 },
    { reason: 'cooldown', count: 4 },
  ]);
  expect(report.rejected).toBe(2);
});

test('a journey with no facts reports zeros, without NaN', async () => {
  const report = await buildReport(pool, 'no-such-journey');
  expect(report).toMatchObject({ entered: 0, customers: 0, active: 0, funnel: [], messages: [], splits: [], notEntered: [], rejected: 0 });
  expect(report.conversions).toEqual({ runs: 0, rate: 0, medianMsToConvert: null, afterEnd: 0 });
  expect(formatReport(report)).toContain('Entered       0 runs');
});

test('listJourneys: each journey with facts in the window, its runs, active runs, conversions and last fact', async () => {
  expect(await listJourneys(pool)).toEqual([
    { journey: CART, entered: 3, active: 1, converted: 1, lastAt: iso(T0 + 72 * H) },
    // the last fact: run 383 (r 3) converting again 5 days after it entered
    { journey: JOURNEY, entered: 400, active: 40, converted: 220, lastAt: iso(T0 + 503 * H) },
  ]);
  expect(await listJourneys(pool, { since: iso(T0 + 200 * H) })).toEqual([
    { journey: JOURNEY, entered: 200, active: 20, converted: 110, lastAt: iso(T0 + 503 * H) },
  ]);
});

test('formatReport: the numbers a marketer reads, the method and the verdicts', async () => {
  const text = formatReport(await buildReport(pool, JOURNEY));
  expect(text).toContain('Entered       400 runs (360 customers)');
  expect(text).toContain("Not entered   17 (cooldown 7, running 5, never 3, when 2); rejected by the trigger's schema: 4");
  expect(text).toContain('Now           40 active; ended: 160 completed, 40 exited, 20 failed, 140 by reaching the goal');
  expect(text).toMatch(/wait-for-purchase\s+320\s+80\.0%\s+20/);
  expect(text).toMatch(/welcome\/hello\s+sms\s+80\s+0\s+0\s+0\s+delivered 60, undelivered 20/);
  expect(text).toMatch(/welcome\/hello\s+email\s+200\s+20\s+0\s+20 \(consent 20\)/);
  expect(text).toContain(
    'Conversions   220 runs converted, 55.0% of entered; median time from entry to conversion 12 h; 60 of them converted only after their run had ended',
  );
  expect(text).toMatch(/control\s+80\s+20\s+25\.0%/);
  expect(text).toMatch(/treatment vs control: \+37\.5 pts \(95% CI \+\d+\.\d pts to \+\d+\.\d pts, uplift \+150\.0%\), p < 0\.001: better than control/);
  expect(text).toContain('b vs a: +30.0 pts');
  expect(text).toContain('Method: two-proportion z-test (pooled), Wald 95% CI (unpooled)');
});

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'omnijourney.mjs'), ...args],
      { cwd: root, timeout: 90_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, OMNIJOURNEY_DATA_DIR: join(tmp, 'data'), ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('the CLI: `omnijourney report <journey> --json` prints the report, the text has the verdict, and it says what to set without DATABASE_URL', async () => {
  const [json, text, unset, unknown] = await Promise.all([
    cli(['report', JOURNEY, '--json'], { DATABASE_URL: postgres.url }),
    cli(['report', JOURNEY, '--since', iso(T0 + 200 * H)], { DATABASE_URL: postgres.url }),
    cli(['report', JOURNEY], {}),
    cli(['report', 'no-such-journey'], { DATABASE_URL: postgres.url }),
  ]);
  expect(json).toMatchObject({ code: 0, stderr: '' });
  const printed = JSON.parse(json.stdout) as JourneyReport;
  expect({ ...printed, generatedAt: 'x' }).toEqual({ ...(await buildReport(pool, JOURNEY)), generatedAt: 'x' });

  expect(text.code).toBe(0);
  expect(text.stdout).toContain('Entered       200 runs (200 customers)');
  expect(text.stdout).toContain('treatment vs control: +37.5 pts');
  expect(text.stdout).toContain('better than control');

  expect(unset.code).toBe(1);
  expect(unset.stderr).toMatch(/DATABASE_URL/);
  expect(unset.stdout).toBe('');

  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('no facts for journey "no-such-journey"');
  expect(unknown.stderr).toContain(`${CART}, ${JOURNEY}`);
});
