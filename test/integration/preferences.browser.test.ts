// The preference centre in a real browser: Debian's Chromium, driven by playwright-core, on the API listening
// on a real port in front of a real Temporal dev server and worker. A customer uses the page with the keyboard
// only (labels, groups, focus ring), saves, sees the confirmation, and the customer workflow has the change.
// Writes docs/preference-centre.png (checked in; the README shows it).
//
// Chromium comes from Debian: `npm test` installs it (toolchain/tools.mjs ensureChromium). Without it this test
// fails and says how to install it; it never skips.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createDeliveryActivities } from '../../activities/delivery';
import { signPreferenceToken } from '../../preferences/token';
import { customerWorkflowId, profileQuery, updateConsentSignal } from '../../domain/messages';
import { startApiHarness, type ApiHarness } from '../helpers/devServerHarness';
import type { RunningEngine } from '../helpers/engine';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../helpers/chromium';

const SCREENSHOT = join(__dirname, '..', '..', 'docs', 'preference-centre.png');
const PREFERENCES_SECRET = 'prefs-browser-test-0123456789';

let h: ApiHarness;
let engine: RunningEngine;
let url: string;
let profileDir: string;
let browser: BrowserContext;

beforeAll(async () => {
  requireChromium();
  // No channels: the page and the customer workflow are what this test is about.
  h = await startApiHarness({
    name: 'browser',
    config: { PREFERENCES_SECRET },
    activities: () => createDeliveryActivities({}),
    engine: (config) => ({ policy: { caps: { perDay: 2, perWeek: 5 }, quietHours: null }, lookupSecret: config.engine.lookupSecret }),
  });
  ({ engine, url } = h);
  profileDir = mkdtempSync(join(tmpdir(), 'omnijourney-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 800, height: 900 },
    deviceScaleFactor: 1,
    timeout: 60_000,
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

// Code run in the page is passed as strings: this project compiles without the DOM types.

/** Tabs through the page until `focused` (an expression evaluated in the page) holds: keyboard only. */
async function tabTo(page: Page, what: string, focused: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(focused)) return;
  }
  throw new Error(`could not reach ${what} with Tab`);
}

test('a customer turns SMS off with the keyboard, saves, sees the confirmation, and the workflow has it', async () => {
  await engine.send({
    customerId: 'browser-bea',
    type: 'identify',
    name: 'identify',
    traits: { email: 'bea@example.com', phone: '+14155550108', firstName: 'Bea' },
  });
  const handle = engine.client.workflow.getHandle(customerWorkflowId('browser-bea'));
  await handle.signal(updateConsentSignal, { channel: 'sms', granted: true, source: 'signup-form' });
  const token = signPreferenceToken(PREFERENCES_SECRET, { customerId: 'browser-bea', scope: 'preferences' });

  const page = browser.pages()[0] ?? (await browser.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  const response = await page.goto(`${url}/preferences/${token}`);
  expect(response?.status()).toBe(200);
  await expect(page.title()).resolves.toBe('Your message preferences');
  expect(await page.locator('html').getAttribute('lang')).toBe('en');

  // Every checkbox is found by its label, inside a group named by its legend; the state is the current one.
  const contact = page.getByRole('group', { name: 'How we may contact you' });
  const marketing = page.getByRole('group', { name: 'Marketing: offers, reminders and news' });
  const email = contact.getByLabel('Email', { exact: true });
  const sms = contact.getByLabel('Text messages (SMS)', { exact: true });
  expect(await email.isChecked()).toBe(true);
  expect(await sms.isChecked()).toBe(true);
  expect(await marketing.getByLabel('Marketing emails', { exact: true }).isChecked()).toBe(true);
  expect(await marketing.getByLabel('Marketing texts', { exact: true }).isChecked()).toBe(true);
  // The hint is the checkbox's description, read out after its name.
  expect(await sms.getAttribute('aria-describedby')).toBe('sms-hint');
  await expect(page.locator('#sms-hint').textContent()).resolves.toContain('ending in 0108');

  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // Keyboard only: Tab to the SMS box (a visible focus ring), Space unticks it, Tab to Save, Enter.
  await tabTo(page, 'the SMS checkbox', `document.activeElement?.id === 'sms'`);
  const ring = await page.evaluate(`(() => {
    const s = getComputedStyle(document.activeElement);
    return { style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor };
  })()`);
  expect(ring).toEqual({ style: 'solid', width: '3px', color: 'rgb(180, 83, 9)' });
  await page.keyboard.press('Space');
  expect(await sms.isChecked()).toBe(false);
  await tabTo(page, 'the Save button', `document.activeElement?.tagName === 'BUTTON'`);
  expect(await page.evaluate('document.activeElement?.textContent')).toBe('Save preferences');
  const [posted] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.keyboard.press('Enter')]);
  expect(posted.status()).toBe(200);
  expect(posted.url()).toBe(`${url}/preferences/${token}`);

  await page.getByRole('heading', { level: 1, name: 'Your preferences are saved' }).waitFor();
  const status = await page.getByRole('status').innerText();
  expect(status).toContain('Text messages (SMS): off');
  expect(status).toContain('Email: on');
  expect(await page.getByLabel('Text messages (SMS)', { exact: true }).isChecked()).toBe(false);
  expect(await page.getByLabel('Email', { exact: true }).isChecked()).toBe(true);

  const profile = await handle.query(profileQuery);
  expect(profile.consent.channels).toEqual({ sms: false });
  expect(profile.consent.history?.at(-1)).toMatchObject({ channel: 'sms', granted: false, source: 'preference-centre' });
  expect(errors).toEqual([]); // no blocked styles (CSP) or other console errors
});

test('"Forget my links" works with the keyboard too: after it, the same link opens a page that says it was turned off', async () => {
  await engine.send({ customerId: 'browser-finn', type: 'identify', name: 'identify', traits: { email: 'finn@example.com' } });
  const handle = engine.client.workflow.getHandle(customerWorkflowId('browser-finn'));
  const token = signPreferenceToken(PREFERENCES_SECRET, { customerId: 'browser-finn', scope: 'preferences' });
  const page = browser.pages()[0] ?? (await browser.newPage());
  expect((await page.goto(`${url}/preferences/${token}`))?.status()).toBe(200);

  // The button is named, and described by the paragraph that says what it does.
  const forget = page.getByRole('button', { name: 'Forget my links' });
  expect(await forget.getAttribute('aria-describedby')).toBe('forget-links-hint');
  await expect(page.locator('#forget-links-hint').textContent()).resolves.toContain('this one included');
  // Tab passes Save first (the main form comes first), then reaches it.
  await page.locator('body').focus();
  await tabTo(page, 'the Save button', `document.activeElement?.textContent === 'Save preferences'`);
  await tabTo(page, 'the Forget my links button', `document.activeElement?.textContent === 'Forget my links'`);
  const [posted] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.keyboard.press('Enter')]);
  expect(posted.status()).toBe(200);
  await page.getByRole('heading', { level: 1, name: 'Your old links no longer work' }).waitFor();
  expect(await page.getByRole('status').innerText()).toContain('no longer open this page');
  expect((await handle.query(profileQuery)).links?.generation).toBe(1);

  const again = await page.goto(`${url}/preferences/${token}`);
  expect(again?.status()).toBe(410);
  await expect(page.title()).resolves.toBe('This link no longer works');
  expect(await page.getByRole('checkbox').count()).toBe(0);
});
