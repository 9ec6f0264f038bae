// The operator dashboard in a real browser with JavaScript OFF: Debian's Chromium driven by playwright-core, the
// API built by buildServer and listening on a real port, reading facts from a real PostgreSQL (migrated as the
// worker would, then filled with a generated month of one journey: steps, an A/B split with a clear winner, a
// holdout, suppressions, a week of deliveries). An operator opens /dashboard, gets the sign-in form, is refused
// with a write key, signs in with the operator token, sees the journey with its numbers and clicks through to
// its funnel, splits and verdict. Without the cookie there is no data; a journey named `<script>` shows as text.
//
// The API needs no Temporal for this (the dashboard never calls it): its client points at a closed port.
// DASHBOARD_SCREENSHOT=1 writes docs/dashboard.png (checked in; docs/dashboard.md shows it).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { LOGIN_ATTEMPTS, createOperatorAuth } from '../../api/routes/dashboard';
import { buildServer } from '../../api/server';
import { loadConfig } from '../../config/config';
import { factId, type Fact, type FactInput } from '../../domain/facts';
import { customerWorkflowId, journeyWorkflowId } from '../../domain/workflowIds';
import { startPostgresProcess, type PostgresProcess } from '../../harness/postgresProcess';
import { insertFacts } from '../../store/facts';
import { migrate } from '../../store/migrate';
import { openPool } from '../../store/pool';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../helpers/chromium';

const SCREENSHOT = join(__dirname, '..', '..', 'docs', 'dashboard.png');
const OPERATOR_TOKEN = 'operator-token-for-the-dashboard-test';
const WRITE_KEY = 'write-key-for-the-dashboard-test-0123';
const JOURNEY = 'welcome';
const EVIL = '<script>alert("owned")</script> promo';
const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'omnijourney-dashboard-'));
// As root, PostgreSQL runs as the postgres user, which must be able to pass through this folder.
chmodSync(dir, 0o711);
let postgres: PostgresProcess;
let pool: Pool;
let connection: Connection;
let app: FastifyInstance;
let url: string;
let browser: Browser;

/** A deterministic "random" percentage per customer and purpose (no Math.random: the numbers are asserted). */
const roll = (i: number, salt: number): number => (((i + 1) * 2654435761 + salt * 40503) >>> 0) % 100;

interface Generated {
  facts: Fact[];
  entered: number;
  notEntered: number;
  rejected: number;
  active: number;
  converted: number;
  arms: Record<string, { customers: number; conversions: number }>;
}

/** One customer's facts, numbered per workflow as the workflows number them. */
function recorder(journey: string, customerId: string) {
  const journeyWf = journeyWorkflowId(journey, customerId);
  const customerWf = customerWorkflowId(customerId);
  const run = `${journeyWf}/1`;
  const counters = new Map<string, number>();
  const facts: Fact[] = [];
  const who = { journey, version: 1, customerId, run };
  const add = (workflowId: string, runId: string, f: Omit<FactInput, 'journey' | 'customerId'>): void => {
    const n = (counters.get(workflowId) ?? 0) + 1;
    counters.set(workflowId, n);
    facts.push({ ...who, ...f, id: factId(workflowId, runId, n), workflowId, runId });
  };
  let sends = 0;
  return {
    facts,
    run: (f: Omit<FactInput, 'journey' | 'customerId'>) => add(journeyWf, `run-${customerId}`, f),
    /** What the customer workflow records about events that started no run (no run of its own). */
    refusal: (f: Omit<FactInput, 'journey' | 'customerId'>) => add(customerWf, `run-${customerWf}`, { ...f, run: undefined }),
    delivery: (
      at: number,
      f: { template: string; channel?: string; status: string; reason?: string },
      provider?: { at: number; status: string; reason?: string },
    ) => {
      const messageId = `${run}.${++sends}`;
      add(customerWf, `run-${customerWf}`, { kind: 'delivery', at: new Date(at).toISOString(), messageId, topic: 'marketing', ...f });
      if (provider) {
        const { at: when, ...status } = provider;
        add(customerWf, `run-${customerWf}`, {
          kind: 'provider',
          at: new Date(when).toISOString(),
          messageId,
          template: f.template,
          channel: f.channel,
          ...status,
        });
      }
    },
  };
}

/** 400 customers over the last week. Offer arm b converts at 30%, a at 10%; the holdout's control gets no
 *  messages and converts at 5%. The last day's unconverted entries are still waiting (active). */
function generate(start: number): Generated {
  const out: Generated = { facts: [], entered: 0, notEntered: 0, rejected: 0, active: 0, converted: 0, arms: {} };
  const arm = (name: string, converted: boolean) => {
    out.arms[name] ??= { customers: 0, conversions: 0 };
    out.arms[name].customers++;
    if (converted) out.arms[name].conversions++;
  };
  for (let i = 0; i < 400; i++) {
    const id = `cust-${String(i).padStart(4, '0')}`;
    const r = recorder(JOURNEY, id);
    const t0 = start + (i % 7) * DAY + (i % 13) * 3_600_000 + i * 1000;
    const iso = (ms: number) => new Date(ms).toISOString();
    const offer = i % 2 === 0 ? 'a' : 'b';
    const holdout = i % 10 === 3 ? 'control' : 'treatment';
    const converts = roll(i, 1) < (holdout === 'control' ? 5 : offer === 'b' ? 30 : 10);
    out.entered++;
    r.run({ kind: 'entered', at: iso(t0), detail: 'user.signed_up' });
    r.run({ kind: 'split', at: iso(t0), split: 'holdout', arm: holdout });
    r.run({ kind: 'split', at: iso(t0), split: 'offer', arm: offer });
    arm(`holdout/${holdout}`, converts);
    arm(`offer/${offer}`, converts);
    r.run({ kind: 'step', at: iso(t0 + 1000), step: 'welcome-email' });
    // A second sign-up while the run is going starts nothing; a malformed one is refused by the trigger's schema.
    if (i % 40 === 5) {
      out.notEntered++;
      r.refusal({ kind: 'not-entered', at: iso(t0 + 600_000), reason: 'running', detail: 'user.signed_up' });
    }
    if (i % 100 === 7) {
      out.rejected++;
      r.refusal({ kind: 'rejected', at: iso(t0 + 700_000), reason: 'plan: expected string', detail: 'user.signed_up' });
    }
    if (holdout === 'treatment') {
      if (roll(i, 2) < 4) r.delivery(t0 + 2000, { template: 'welcome', channel: 'email', status: 'suppressed', reason: 'consent' });
      else if (roll(i, 3) < 6) r.delivery(t0 + 2000, { template: 'welcome', channel: 'email', status: 'deferred', reason: 'quiet-hours' });
      else
        r.delivery(
          t0 + 2000,
          { template: 'welcome', channel: 'email', status: 'sent' },
          roll(i, 4) < 3 ? { at: t0 + 60_000, status: 'undelivered', reason: '30007' } : { at: t0 + 60_000, status: 'delivered' },
        );
    }
    r.run({ kind: 'step', at: iso(t0 + 3000), step: 'wait-for-activation' });
    const lastDay = i % 7 === 6;
    if (converts) {
      out.converted++;
      r.run({ kind: 'converted', at: iso(t0 + 5 * 3_600_000), detail: 'user.activated' });
      r.run({ kind: 'completed', at: iso(t0 + 5 * 3_600_000 + 1000) });
    } else if (lastDay) {
      out.active++; // still waiting for the activation
    } else {
      r.run({ kind: 'step', at: iso(t0 + DAY), step: 'nudge-sms' });
      if (holdout === 'treatment') {
        const sms = roll(i, 5);
        if (sms < 10) r.delivery(t0 + DAY + 1000, { template: 'nudge', status: 'suppressed', reason: 'consent' });
        else if (sms < 20) r.delivery(t0 + DAY + 1000, { template: 'nudge', channel: 'sms', status: 'suppressed', reason: 'cap' });
        else if (sms < 23) r.delivery(t0 + DAY + 1000, { template: 'nudge', channel: 'sms', status: 'failed', reason: 'provider-error' });
        else r.delivery(t0 + DAY + 1000, { template: 'nudge', channel: 'sms', status: 'sent' }, { at: t0 + DAY + 5000, status: 'delivered' });
      }
      if (roll(i, 6) < 15) r.run({ kind: 'exited', at: iso(t0 + DAY + 60_000), reason: 'user.unsubscribed' });
      else r.run({ kind: 'completed', at: iso(t0 + 2 * DAY) });
    }
    out.facts.push(...r.facts);
  }
  return out;
}

/** A few runs of a journey whose name is markup (names come from authors' code). */
function evilJourney(start: number): Fact[] {
  return [0, 1, 2].flatMap((i) => {
    const r = recorder(EVIL, `evil-${i}`);
    r.run({ kind: 'entered', at: new Date(start + i * 1000).toISOString(), detail: 'x' });
    r.run({ kind: 'step', at: new Date(start + i * 1000 + 1).toISOString(), step: '<img src=x onerror=alert(1)>' });
    return r.facts;
  });
}

const start = Math.floor(Date.now() / DAY) * DAY - 7 * DAY;
const data = generate(start);

async function signedInPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${url}/dashboard`);
  await page.fill('#token', OPERATOR_TOKEN);
  await Promise.all([page.waitForURL(`${url}/dashboard`), page.click('form.login button')]);
  return { context, page };
}

beforeAll(async () => {
  requireChromium();
  postgres = await startPostgresProcess(join(dir, 'postgres'), { fast: true });
  pool = openPool(postgres.url, 2);
  connection = Connection.lazy({ address: '127.0.0.1:1' });
  const config = loadConfig({ OPERATOR_TOKENS: OPERATOR_TOKEN, API_WRITE_KEYS: WRITE_KEY });
  app = buildServer({ client: new Client({ connection }), taskQueue: 'unused', api: config.api, store: { db: pool } });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await connection?.close();
  await pool?.end();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The sign-in form's POST, without a browser: the response itself, not where it redirects. */
const postLogin = (base: string, token: string, next = '/dashboard') =>
  fetch(`${base}/dashboard/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, next }).toString(),
  });

test('before the worker has created the facts table, the dashboard says "no facts yet" (the API never migrates)', async () => {
  const res = await fetch(`${url}/dashboard`, { headers: bearer(OPERATOR_TOKEN) });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('<h1>No facts yet</h1>');
  // Now the worker's part: the schema, then a week of facts.
  await migrate(postgres.url);
  await insertFacts(pool, [...data.facts, ...evilJourney(start + 3 * DAY)]);
});

test('with JavaScript off: sign-in form, the write key refused, the operator token accepted, the list, then the journey', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    const first = await page.goto(`${url}/dashboard`);
    expect(first?.status()).toBe(401);
    expect(await page.locator('h1').textContent()).toBe('Operator dashboard');
    expect(await page.locator('label[for=token]').textContent()).toBe('Operator token');
    expect(await page.locator('table').count()).toBe(0);

    // A write key is not an operator token: 401, the same words as any wrong token, no cookie.
    await page.fill('#token', WRITE_KEY);
    const refused = await Promise.all([page.waitForResponse(`${url}/dashboard/login`), page.click('form.login button')]).then(([r]) => r);
    expect(refused.status()).toBe(401);
    await expect(page.locator('[role=alert]').textContent()).resolves.toBe('That token was not accepted. Check it and try again.');
    expect(await context.cookies()).toEqual([]);

    await page.fill('#token', OPERATOR_TOKEN);
    await Promise.all([page.waitForURL(`${url}/dashboard`), page.click('form.login button')]);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'oj_dashboard', path: '/dashboard', httpOnly: true, sameSite: 'Strict' });
    expect(cookie.value).not.toContain(OPERATOR_TOKEN);
    expect(cookie.value).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);

    // The list: the journey with its numbers.
    const row = page.locator('tr', { has: page.locator(`a:text-is("${JOURNEY}")`) });
    expect(await row.locator('td').allTextContents()).toEqual([
      String(data.entered),
      String(data.active),
      String(data.converted),
      `${((data.converted / data.entered) * 100).toFixed(1)}%`,
      expect.any(String),
    ]);

    await Promise.all([page.waitForURL(`${url}/dashboard/journeys/${JOURNEY}`), row.locator('a').click()]);
    expect(await page.locator('h1').textContent()).toBe(JOURNEY);
    const tile = (label: string) => page.locator('dl.tiles div', { has: page.locator(`dt:text-is("${label}")`) }).locator('dd');
    expect(await tile('Entered').textContent()).toBe(`${data.entered} ${data.entered} customers`);
    expect(await tile('Not entered').textContent()).toBe(`${data.notEntered} running ${data.notEntered}`);
    expect(await tile('Rejected events').textContent()).toBe(String(data.rejected));
    const funnel = page.locator('svg[aria-labelledby="funnel-chart-title funnel-chart-desc"]');
    expect(await funnel.isVisible()).toBe(true);
    expect(await funnel.locator('title').first().textContent()).toBe(`Funnel of ${JOURNEY}`);
    for (const step of ['welcome-email', 'wait-for-activation', 'nudge-sms']) expect(await funnel.locator(`text:text-is("${step}")`).isVisible()).toBe(true);
    expect(await funnel.locator(`text:text-is("${data.entered} entered")`).isVisible()).toBe(true);

    // The offer split: b beats a, drawn as an interval against zero with the verdict and p-value beside it.
    const offer = page.locator('svg', { has: page.locator('title:text-is("Split offer: conversion rate difference against a, with 95% intervals")') });
    expect(await offer.isVisible()).toBe(true);
    expect(await offer.locator('text:text-is("better than control")').isVisible()).toBe(true);
    expect(await offer.locator('text', { hasText: 'p < 0.001 · +' }).isVisible()).toBe(true);
    expect(await offer.locator('circle').count()).toBe(1);
    const b = data.arms['offer/b'];
    const armRow = page
      .locator('table', { has: page.locator('caption:text-is("Arms of offer (control: a)")') })
      .locator('tr', { has: page.locator('th:text-is("b")') });
    expect((await armRow.locator('td').allTextContents()).slice(0, 3)).toEqual([
      String(b.customers),
      String(b.conversions),
      `${((b.conversions / b.customers) * 100).toFixed(1)}%`,
    ]);
    // The holdout is a split of its own, against its control arm.
    expect(await page.locator('svg title:text-is("Split holdout: conversion rate difference against control, with 95% intervals")').count()).toBe(1);
    expect(await page.locator('p', { hasText: 'Method: two-proportion z-test' }).first().isVisible()).toBe(true);

    // Messages with their suppressed reasons, and a week of deliveries.
    const messages = page.locator('table', { has: page.locator('caption:text-is("Delivery decisions by template and channel")') });
    expect(await messages.locator('text=cap: ').count()).toBeGreaterThan(0);
    expect(await messages.locator('text=consent: ').count()).toBeGreaterThan(0);
    const deliveries = page.locator('svg', { has: page.locator('title:text-is("Delivery outcomes per day (UTC), stacked by status and reason")') });
    expect(await deliveries.isVisible()).toBe(true);
    expect(await deliveries.locator('rect title').count()).toBeGreaterThanOrEqual(7);

    if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });
  } finally {
    await context.close();
  }
});

test('no cookie, a forged or foreign one, or a write key: no data, only the sign-in form', async () => {
  const withOperator = await fetch(`${url}/dashboard/journeys/${JOURNEY}`, { headers: bearer(OPERATOR_TOKEN) });
  expect(withOperator.status).toBe(200);
  expect(withOperator.headers.get('cache-control')).toBe('no-store');
  expect(withOperator.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'none'; style-src 'sha256-[^']+';/);
  const good = await withOperator.text();
  expect(good).toContain('better than control');
  expect(good).not.toMatch(/<script/i);

  const forged = `${Math.floor(Date.now() / 1000) + 3600}.${'A'.repeat(43)}`;
  // A session signed with the token 9 hours ago has expired (sessions last 8); one signed now is good.
  const expired = createOperatorAuth([OPERATOR_TOKEN], [], () => Date.now() - 9 * 3_600_000).issueSession(OPERATOR_TOKEN);
  const fresh = createOperatorAuth([OPERATOR_TOKEN], []).issueSession(OPERATOR_TOKEN);
  expect((await fetch(`${url}/dashboard`, { headers: { cookie: `oj_dashboard=${fresh}` } })).status).toBe(200);
  const cookies = [forged, expired, OPERATOR_TOKEN].map((value) => ({ cookie: `oj_dashboard=${value}` }));
  for (const headers of [{}, bearer(WRITE_KEY), bearer('nope'), ...cookies]) {
    for (const path of ['/dashboard', `/dashboard/journeys/${JOURNEY}`]) {
      const res = await fetch(`${url}${path}`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.text();
      expect(body).toContain('<form class="login" method="post" action="/dashboard/login">');
      expect(body).not.toContain('better than control');
      expect(body).not.toContain(`>${JOURNEY}<`);
    }
  }
  // The login itself: a wrong token and a write key get the same page.
  const login = (token: string) => postLogin(url, token);
  const [wrong, writeKey, right] = await Promise.all([login('wrong-token-0123456789'), login(WRITE_KEY), login(OPERATOR_TOKEN)]);
  expect([wrong.status, writeKey.status, right.status]).toEqual([401, 401, 303]);
  expect(await wrong.text()).toBe(await writeKey.text());
  expect(wrong.headers.get('set-cookie')).toBeNull();
  expect(right.headers.get('location')).toBe('/dashboard');
  expect(right.headers.get('set-cookie')).toMatch(/^oj_dashboard=\d+\.[\w-]{43}; Path=\/dashboard; HttpOnly; SameSite=Strict; Max-Age=28800$/);
  // Only back into the dashboard: never to another site.
  const away = await postLogin(url, OPERATOR_TOKEN, '//evil.example/dashboard');
  expect(away.headers.get('location')).toBe('/dashboard');
});

test('the time window: a bad one is refused with a page, one after every fact shows no journeys, 30d shows them', async () => {
  const bad = await fetch(`${url}/dashboard?since=yesterday`, { headers: bearer(OPERATOR_TOKEN) });
  expect(bad.status).toBe(400);
  expect(await bad.text()).toContain('since must be one ISO date or time');
  const later = await fetch(`${url}/dashboard?since=${new Date(Date.now() + DAY).toISOString().slice(0, 10)}`, { headers: bearer(OPERATOR_TOKEN) });
  expect(later.status).toBe(200);
  expect(await later.text()).toContain('No journey has facts in this window yet.');
  // Offsets back from now, as `omnijourney report --since 30d` takes them.
  const month = await fetch(`${url}/dashboard?since=30d`, { headers: bearer(OPERATOR_TOKEN) });
  expect(await month.text()).toContain(`>${JOURNEY}</a>`);
});

test('a journey named <script> is shown as text, in the list and on its page', async () => {
  const { context, page } = await signedInPage();
  try {
    const link = page.locator('table a', { hasText: 'promo' });
    expect(await link.textContent()).toBe(EVIL);
    const raw = await (await fetch(`${url}/dashboard`, { headers: bearer(OPERATOR_TOKEN) })).text();
    expect(raw).not.toMatch(/<script/i);
    expect(raw).toContain('&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; promo');
    await Promise.all([page.waitForURL(/\/dashboard\/journeys\//), link.click()]);
    expect(await page.locator('h1').textContent()).toBe(EVIL);
    expect(await page.locator('svg text', { hasText: '<img src=x' }).count()).toBe(1);
    expect(await page.locator('script, img').count()).toBe(0);
  } finally {
    await context.close();
  }
});

test('sign-in attempts are limited per client: past the burst even the right token waits, with a page and Retry-After', async () => {
  // A server of its own, so its buckets start full and the other tests' sign-ins do not count.
  const config = loadConfig({ OPERATOR_TOKENS: OPERATOR_TOKEN, API_WRITE_KEYS: WRITE_KEY });
  const own = buildServer({ client: new Client({ connection }), taskQueue: 'unused', api: config.api, store: { db: pool } });
  const base = await own.listen({ port: 0, host: '127.0.0.1' });
  const login = (token: string) => postLogin(base, token);
  try {
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_ATTEMPTS.burst; i++) statuses.push((await login(`wrong-token-${i}-0123456789`)).status);
    expect(statuses).toEqual(Array(LOGIN_ATTEMPTS.burst).fill(401));
    const limited = await login(OPERATOR_TOKEN);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('set-cookie')).toBeNull();
    expect(await limited.text()).toContain('<h1>Too many sign-in attempts</h1>');
  } finally {
    await own.close();
  }
});

test('without a store the dashboard answers 503 and says to set DATABASE_URL', async () => {
  const config = loadConfig({ OPERATOR_TOKENS: OPERATOR_TOKEN, API_WRITE_KEYS: WRITE_KEY });
  const off = buildServer({ client: new Client({ connection }), taskQueue: 'unused', api: config.api });
  const base = await off.listen({ port: 0, host: '127.0.0.1' });
  try {
    const res = await fetch(`${base}/dashboard`, { headers: bearer(OPERATOR_TOKEN) });
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(body).toContain('<h1>Facts are off</h1>');
    expect(body).toContain('Set DATABASE_URL');
  } finally {
    await off.close();
  }
});
