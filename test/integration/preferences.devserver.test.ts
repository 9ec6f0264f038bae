// Customers in control, end to end: the preference centre, one-click unsubscribe and the Twilio webhooks,
// called with a real HTTP client (fetch) on the API listening on a real port, in front of a real Temporal
// dev server and a real worker with the worker's own channel wiring (mail to a real SMTP server, SMS through
// the real twilio client to Prism). Every change is checked where it lands: the customer workflow's
// profile, state and ledger, and what the delivery pipeline then does with a message. The links' scopes and
// their revocation (generation, erase) are tested with the tokens of mails the pipeline really sent.
import { createHmac } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { ParsedMail } from 'mailparser';
import twilio from 'twilio';
import { customersConfig } from '../../api/customers';
import { buildServer } from '../../api/server';
import { loadConfig, type Config } from '../../config/config';
import { eraseCustomer } from '../../client/customerData';
import { devServerEraseArgs } from '../../privacy/devServer';
import { signPreferenceToken, verifyPreferenceToken, type PreferenceTokenScope } from '../../preferences/token';
import type { Channel, Topic } from '../../sdk/events';
import { createWorkerActivities } from '../../worker/activities';
import type { DeliveryRequest, LedgerEntry } from '../../domain/customerState';
import { decide } from '../../domain/deliveryPolicy';
import { phoneLookupKey } from '../../domain/lookup';
import {
  customerWorkflowId,
  deliveryRequestSignal,
  forgetLinksSignal,
  ledgerQuery,
  profileQuery,
  stateQuery,
  updateConsentSignal,
} from '../../domain/messages';
import { startApiHarness, type ApiHarness, type WithPrism } from '../helpers/devServerHarness';
import type { RunningEngine } from '../helpers/engine';
import { eventually } from '../helpers/eventually';
import type { PrismServer } from '../helpers/prism';
import { recipient, type SmtpSink } from '../../harness/smtpSink';

const PREFERENCES_SECRET = 'prefs-customers-test-0123456789';
const TWILIO_TOKEN = 'customers-test-auth-token';
const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
// Where Twilio and mail clients reach the API; what Twilio signs. The test talks to 127.0.0.1 directly, as a
// proxy in front would.
const PUBLIC_URL = 'https://journeys.acme.test';
let h: WithPrism<ApiHarness>;
let smtp: SmtpSink;
let prism: PrismServer;
let engine: RunningEngine;
let config: Config;
let url: string;

beforeAll(async () => {
  // The worker's own channel wiring (the harness points SMTP at its sink and Twilio at its Prism), on a dev server
  // with erase's settings, so that erasing a customer takes seconds (privacy/devServer.ts).
  h = await startApiHarness({
    name: 'customers',
    prism: true,
    devServerArgs: devServerEraseArgs(),
    config: { PUBLIC_URL, PREFERENCES_SECRET, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_FROM: '+15005550006' },
    activities: (c) => createWorkerActivities(c),
  });
  ({ smtp, prism, engine, config, url } = h);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

// ---- helpers ----------------------------------------------------------------------------------------

interface Res {
  status: number;
  headers: Headers;
  text: string;
  ms: number;
}

async function http(
  path: string,
  init: { method?: string; form?: Record<string, string>; body?: RequestInit['body']; headers?: Record<string, string> } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  if (init.form) {
    body = new URLSearchParams(init.form).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  const started = Date.now();
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? (body !== undefined ? 'POST' : 'GET'),
    headers,
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, headers: res.headers, text: await res.text(), ms: Date.now() - started };
}

/** A link's token signed here (generation 0, no workflow incarnation): a preference link unless told otherwise. */
const token = (customerId: string, exp?: number, scope: PreferenceTokenScope = 'preferences') =>
  signPreferenceToken(PREFERENCES_SECRET, { customerId, scope, exp });
const unsubscribeToken = (customerId: string) => token(customerId, undefined, 'unsubscribe');
const handle = (customerId: string) => engine.client.workflow.getHandle(customerWorkflowId(customerId));
const profile = (customerId: string) => handle(customerId).query(profileQuery);

/** Whether the checkbox with this id is rendered checked. */
function checkbox(html: string, id: string): boolean {
  const tag = new RegExp(`<input type="checkbox" id="${id}"[^>]*>`).exec(html);
  if (!tag) throw new Error(`no checkbox #${id} in:\n${html}`);
  return / checked[\s>]/.test(tag[0]);
}
const boxes = (html: string) => ({
  email: checkbox(html, 'email'),
  sms: checkbox(html, 'sms'),
  marketingEmail: checkbox(html, 'marketing-email'),
  marketingSms: checkbox(html, 'marketing-sms'),
});

async function customer(customerId: string, traits: Record<string, unknown>, smsOptIn = false): Promise<void> {
  await engine.send({ customerId, type: 'identify', name: 'identify', traits });
  if (smsOptIn) await handle(customerId).signal(updateConsentSignal, { channel: 'sms', granted: true, source: 'test-signup' });
}

let requests = 0;
/** What a journey's `j.send` signals to the customer workflow: the delivery pipeline decides and records it. */
async function requestDelivery(customerId: string, channels: Channel[], template: string, data: Record<string, unknown>, topic: Topic): Promise<string> {
  const journeyWorkflowId = `journey:customers-test:${customerId}`;
  const id = `${journeyWorkflowId}/1.${++requests}`;
  const request: DeliveryRequest = {
    id,
    journeyWorkflowId,
    journey: 'customers-test',
    channels,
    template,
    data,
    topic,
    urgent: false,
    requestedAt: new Date().toISOString(),
  };
  await handle(customerId).signal(deliveryRequestSignal, request);
  return id;
}

async function settled(customerId: string, id: string, timeoutMs = 30_000): Promise<LedgerEntry> {
  let entry: LedgerEntry | undefined;
  return eventually(
    `delivery ${id} to settle`,
    async () => {
      entry = (await handle(customerId).query(ledgerQuery)).find((e) => e.id === id);
      return entry?.status !== 'sending' && entry;
    },
    { timeoutMs, intervalMs: 150, detail: () => JSON.stringify(entry) },
  );
}

/** Waits until visibility finds the customer by the HMAC of the phone number (what the webhooks do). */
async function findableByPhone(customerId: string, phone: string): Promise<void> {
  const query = `PhoneLookup = "${phoneLookupKey(config.engine.lookupSecret, phone)}"`;
  await eventually(
    `customer ${customerId} findable by PhoneLookup`,
    async () => {
      for await (const w of engine.client.workflow.list({ query })) if (w.workflowId === customerWorkflowId(customerId)) return true;
      return false;
    },
    { timeoutMs: 20_000, intervalMs: 200 },
  );
}

/** Twilio's scheme, written out: HMAC-SHA1(auth token, URL + each POST field name and value, sorted by name), base64. */
function twilioSignature(authToken: string, signedUrl: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], signedUrl);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

/** A webhook as Twilio posts it: signed over PUBLIC_URL + path, sent to the local API. */
function twilioPost(path: string, params: Record<string, string>, signature = twilioSignature(TWILIO_TOKEN, `${PUBLIC_URL}${path}`, params)): Promise<Res> {
  return http(path, {
    form: params,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' },
  });
}

let sids = 0;
function inboundSms(from: string, body: string): Record<string, string> {
  const sid = `SM${(++sids).toString(16).padStart(32, '0')}`;
  return {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: sid,
    NumMedia: '0',
    ToCity: '',
    FromZip: '',
    SmsSid: sid,
    FromState: 'CA',
    SmsStatus: 'received',
    FromCity: '',
    Body: body,
    FromCountry: 'US',
    To: '+15005550006',
    ToZip: '',
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: TWILIO_SID,
    From: from,
    ApiVersion: '2010-04-01',
  };
}

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

// ---- preference centre -------------------------------------------------------------------------------

test('the preference page shows the consent that takes effect now: email opt-out, SMS opt-in, marketing per channel', async () => {
  await customer('pref-new', { email: 'new@example.com' });
  await customer('pref-ada', { email: 'ada@example.com', phone: '+14155550101' }, true);
  await handle('pref-ada').signal(updateConsentSignal, { channel: 'email', topic: 'marketing', granted: false, source: 'test' });

  const fresh = await http(`/preferences/${token('pref-new')}`);
  expect(fresh.status).toBe(200);
  expect(fresh.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(boxes(fresh.text)).toEqual({ email: true, sms: false, marketingEmail: true, marketingSms: false });
  expect(fresh.text).toContain('To n•••@example.com');
  expect(fresh.text).toContain('We have no mobile number for you');

  const ada = await http(`/preferences/${token('pref-ada')}`);
  expect(boxes(ada.text)).toEqual({ email: true, sms: true, marketingEmail: false, marketingSms: true });
  expect(ada.text).toContain('ending in 0101');
  expect(ada.text).not.toContain('4155550101');
  // Plain, accessible HTML: a language, labels tied to their inputs, grouped choices, no script.
  expect(ada.text).toMatch(/^<!doctype html>\n<html lang="en">/);
  for (const id of ['email', 'sms', 'marketing-email', 'marketing-sms']) expect(ada.text).toContain(`<label for="${id}">`);
  expect(ada.text.match(/<fieldset>/g)).toHaveLength(2);
  expect(ada.text.match(/<legend>/g)).toHaveLength(2);
  expect(ada.text).toContain('Transactional messages, such as receipts');
  expect(ada.text).not.toMatch(/<script/i);
  expect(ada.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
  expect(ada.headers.get('cache-control')).toBe('no-store');
  expect(ada.headers.get('referrer-policy')).toBe('no-referrer');
  // Looking changed nothing.
  expect((await profile('pref-ada')).consent.history?.map((h) => h.source)).toEqual(['test-signup', 'test']);
});

test('saving the form with SMS unticked revokes SMS consent; the confirmation shows what the workflow now holds', async () => {
  await customer('pref-sam', { email: 'sam@example.com', phone: '+14155550102' }, true);
  const page = await http(`/preferences/${token('pref-sam')}`);
  expect(boxes(page.text)).toEqual({ email: true, sms: true, marketingEmail: true, marketingSms: true });

  // The browser posts the ticked boxes only: SMS is left out.
  const saved = await http(`/preferences/${token('pref-sam')}`, { form: { form: 'preferences', email: 'on', 'marketing-email': 'on', 'marketing-sms': 'on' } });
  expect(saved.status).toBe(200);
  expect(saved.headers.get('location')).toBeNull();
  expect(saved.text).toContain('<div class="status" role="status">');
  expect(saved.text).toContain('<li>Text messages (SMS): off</li>');
  expect(saved.text).toContain('<li>Marketing texts: off</li>'); // no texts at all while SMS is off
  expect(boxes(saved.text)).toEqual({ email: true, sms: false, marketingEmail: true, marketingSms: false });

  // Read straight after the answer, no polling: the workflow has it.
  const p = await profile('pref-sam');
  expect(p.consent.channels).toEqual({ sms: false });
  expect(p.consent.pairs ?? {}).toEqual({});
  expect(p.consent.history?.at(-1)).toMatchObject({ channel: 'sms', granted: false, source: 'preference-centre' });
  expect(p.consent.history).toHaveLength(2); // the opt-in, then only the one change

  // Saving the same choices again changes nothing.
  await http(`/preferences/${token('pref-sam')}`, { form: { form: 'preferences', email: 'on', 'marketing-email': 'on' } });
  expect((await profile('pref-sam')).consent.history).toHaveLength(2);

  // Back on, texts for receipts only: SMS granted, marketing by SMS explicitly off.
  const receiptsOnly = await http(`/preferences/${token('pref-sam')}`, { form: { form: 'preferences', email: 'on', sms: 'on', 'marketing-email': 'on' } });
  expect(boxes(receiptsOnly.text)).toEqual({ email: true, sms: true, marketingEmail: true, marketingSms: false });
  const after = await profile('pref-sam');
  expect(after.consent.channels).toEqual({ sms: true });
  expect(after.consent.pairs).toEqual({ 'sms:marketing': false });
});

test('forged, expired and malformed links get 403, 410 and 400 pages that say what to do, and change nothing', async () => {
  await customer('pref-eve', { email: 'eve@example.com', phone: '+14155550103' }, true);
  const before = await profile('pref-eve');
  const forged = signPreferenceToken('someone-elses-secret-0123456789', { customerId: 'pref-eve', scope: 'preferences' });
  const expired = token('pref-eve', Math.floor(Date.now() / 1000) - 60);
  const form = { form: 'preferences' }; // everything unticked: would revoke all
  const cases: Array<[string, number, RegExp]> = [
    [forged, 403, /not valid.*use the link in one of our recent emails/is],
    [expired, 410, /expired.*Open a more recent email/is],
    [`${token('pref-eve').slice(0, 40)}`, 400, /incomplete.*Open the email again/is],
  ];
  for (const [t, status, message] of cases) {
    for (const path of [`/preferences/${t}`, `/unsubscribe/${t}`]) {
      const get = await http(path);
      expect([path, get.status]).toEqual([path, status]);
      expect(get.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(get.text).toMatch(message);
      expect(get.text).toContain('Nothing was changed');
      const post = await http(path, { form });
      expect([path, post.status]).toEqual([path, status]);
    }
  }
  // A GET never changes anything, and a POST without the form's marker is refused.
  expect((await http(`/preferences/${token('pref-eve')}`, { form: {} })).status).toBe(400);
  const after = await profile('pref-eve');
  expect(after.consent).toEqual(before.consent);
});

// ---- one-click unsubscribe -----------------------------------------------------------------------------

test('one-click unsubscribe (RFC 8058) revokes marketing email only: marketing mail is then suppressed, receipts still go', async () => {
  await customer('unsub-uma', { email: 'uma@example.com', firstName: 'Uma' });

  // A mail scanner following the link: a page with a button, no change.
  const page = await http(`/unsubscribe/${unsubscribeToken('unsub-uma')}`);
  expect(page.status).toBe(200);
  expect(page.text).toMatch(
    /<form method="post">\s*<input type="hidden" name="List-Unsubscribe" value="One-Click">\s*<button type="submit">Unsubscribe<\/button>/,
  );
  // …and no link to the preference centre: an unsubscribe token cannot open it, and none is handed out here.
  expect(page.text).not.toMatch(/preferences\//);
  expect(page.text).toContain('use the “Email preferences” link in a recent email from us');
  expect((await profile('unsub-uma')).consent.history ?? []).toEqual([]);

  // What Gmail and others send: a POST with List-Unsubscribe=One-Click, form-encoded.
  const res = await http(`/unsubscribe/${unsubscribeToken('unsub-uma')}`, { form: { 'List-Unsubscribe': 'One-Click' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('location')).toBeNull();
  expect(res.ms).toBeLessThan(2000);
  expect(res.text).toContain('You are unsubscribed');
  expect(res.text).not.toMatch(/preferences\//);

  const p = await profile('unsub-uma');
  expect(p.consent.pairs).toEqual({ 'email:marketing': false });
  expect(p.consent.channels).toEqual({});
  expect(p.consent.topics).toEqual({});
  expect(p.consent.history?.at(-1)).toMatchObject({ channel: 'email', topic: 'marketing', granted: false, source: 'one-click' });

  // The policy on the workflow's own state: marketing email no, transactional email yes.
  const state = await handle('unsub-uma').query(stateQuery);
  const req = (topic: Topic): DeliveryRequest => ({
    id: 'x',
    journeyWorkflowId: 'j',
    journey: 'j',
    channels: ['email'],
    template: 'welcome/hello',
    data: {},
    topic,
    urgent: false,
    requestedAt: new Date().toISOString(),
  });
  const policy = { caps: { perDay: 10, perWeek: 20 }, quietHours: null };
  expect(decide(state, req('marketing'), new Date(), policy)).toMatchObject({ kind: 'suppress', reason: 'no-consent' });
  expect(decide(state, req('transactional'), new Date(), policy)).toMatchObject({ kind: 'send', channel: 'email', to: 'uma@example.com' });

  // And through the real pipeline: the marketing send is suppressed on the ledger, the receipt is mailed.
  const marketing = await requestDelivery('unsub-uma', ['email'], 'welcome/hello', { plan: 'pro' }, 'marketing');
  const receipt = await requestDelivery('unsub-uma', ['email'], 'welcome/hello', { plan: 'pro' }, 'transactional');
  expect(await settled('unsub-uma', marketing)).toMatchObject({ status: 'suppressed', reason: 'no-consent' });
  expect(await settled('unsub-uma', receipt)).toMatchObject({ status: 'sent', channel: 'email', to: 'uma@example.com' });
  await smtp.waitFor((m) => recipient(m) === 'uma@example.com');
  await new Promise((r) => setTimeout(r, 500));
  expect(smtp.mailsTo('uma@example.com')).toHaveLength(1);
});

test('one-click unsubscribe also takes multipart/form-data (RFC 8058 allows it) and an empty body', async () => {
  await customer('unsub-mo', { email: 'mo@example.com' });
  await customer('unsub-nil', { email: 'nil@example.com' });
  const fd = new FormData();
  fd.set('List-Unsubscribe', 'One-Click');
  expect((await http(`/unsubscribe/${unsubscribeToken('unsub-mo')}`, { body: fd })).status).toBe(200);
  expect((await http(`/unsubscribe/${unsubscribeToken('unsub-nil')}`, { method: 'POST' })).status).toBe(200);
  expect((await profile('unsub-mo')).consent.pairs).toEqual({ 'email:marketing': false });
  expect((await profile('unsub-nil')).consent.pairs).toEqual({ 'email:marketing': false });
  // A token for a customer who does not exist: 404 page, nothing created.
  expect((await http(`/unsubscribe/${unsubscribeToken('nobody-here')}`, { method: 'POST' })).status).toBe(404);
  expect((await http(`/preferences/${token('nobody-here')}`)).status).toBe(404);
});

// ---- link scopes and revocation ---------------------------------------------------------------------------

/** Sends one mail through the real pipeline and returns the tokens of its links: the footer's preference and
 *  unsubscribe links, and List-Unsubscribe (marketing only). */
async function mailedLinks(
  customerId: string,
  address: string,
  topic: Topic = 'marketing',
): Promise<{ preferences: string; unsubscribe: string; listUnsubscribe?: string }> {
  const before = smtp.mailsTo(address).length;
  const id = await requestDelivery(customerId, ['email'], 'welcome/hello', { plan: 'pro' }, topic);
  expect(await settled(customerId, id)).toMatchObject({ status: 'sent', channel: 'email' });
  await smtp.waitFor((m) => recipient(m) === address && smtp.mailsTo(address).length > before);
  const mail: ParsedMail = smtp.mailsTo(address)[before];
  const text = mail.text ?? '';
  const preferences = /\/preferences\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(text)?.[1];
  const unsubscribe = /\/unsubscribe\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(text)?.[1];
  if (!preferences || !unsubscribe) throw new Error(`no preference or unsubscribe link in the mail:\n${text}`);
  const header = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line.replace(/\r?\n\s+/g, ' ');
  const listUnsubscribe = header ? /\/unsubscribe\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)>$/.exec(header)?.[1] : undefined;
  return { preferences, unsubscribe, listUnsubscribe };
}

/** A version-1 token, as every mail sent before link scopes carries (one token for both links). */
function legacyToken(customerId: string): string {
  const payload = Buffer.from(JSON.stringify({ v: 1, sub: customerId, exp: Math.floor(Date.now() / 1000) + 86_400 })).toString('base64url');
  return `${payload}.${createHmac('sha256', PREFERENCES_SECRET).update(`omnijourney.preferences.${payload}`).digest('base64url')}`;
}

const grantEverything = { form: 'preferences', email: 'on', sms: 'on', 'marketing-email': 'on', 'marketing-sms': 'on' };

test('an unsubscribe link (List-Unsubscribe of a real mail, or an old unscoped one) cannot open the preference centre or grant anything; it still unsubscribes', async () => {
  await customer('scope-una', { email: 'una@example.com', phone: '+14155550109' }); // SMS not opted in
  const links = await mailedLinks('scope-una', 'una@example.com');
  // The mail's tokens: the List-Unsubscribe and footer Unsubscribe links are the unsubscribe one, with the
  // customer's generation and workflow; the preference link has its own token.
  expect(links.listUnsubscribe).toBe(links.unsubscribe);
  const runId = (await handle('scope-una').describe()).runId;
  expect(verifyPreferenceToken(PREFERENCES_SECRET, links.unsubscribe)).toMatchObject({
    ok: true,
    customerId: 'scope-una',
    scope: 'unsubscribe',
    generation: 0,
    incarnation: runId,
  });
  expect(verifyPreferenceToken(PREFERENCES_SECRET, links.preferences)).toMatchObject({
    ok: true,
    customerId: 'scope-una',
    scope: 'preferences',
    generation: 0,
    incarnation: runId,
  });
  const before = await profile('scope-una');

  for (const [name, t] of [
    ["the mail's unsubscribe token", links.unsubscribe],
    ['a version-1 token', legacyToken('scope-una')],
  ]) {
    // The page: a 403 that explains, with no form and nothing of the customer's, and a way to unsubscribe.
    const page = await http(`/preferences/${t}`);
    expect([name, page.status]).toEqual([name, 403]);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('This link can only unsubscribe you');
    expect(page.text).toContain(`<a href="../unsubscribe/${t}">Unsubscribe from marketing emails</a>`);
    expect(page.text).not.toMatch(/<form|type="checkbox"|u•••@|0109/);
    // Posting the grant form anyway, and "Forget my links": 403, nothing changes.
    for (const form of [grantEverything, { form: 'forget-links' }]) {
      const post = await http(`/preferences/${t}`, { form });
      expect([name, form.form, post.status]).toEqual([name, form.form, 403]);
      expect(post.text).not.toContain('Your preferences are saved');
    }
  }
  const after = await profile('scope-una');
  expect(after.consent).toEqual(before.consent);
  expect(after.links).toEqual(before.links);
  expect(after.consent.channels.sms).toBeUndefined(); // still no SMS consent

  // The same link still does what it is for: one-click unsubscribe (RFC 8058), marketing email only.
  const unsubscribed = await http(`/unsubscribe/${links.listUnsubscribe}`, { form: { 'List-Unsubscribe': 'One-Click' } });
  expect(unsubscribed.status).toBe(200);
  expect(unsubscribed.text).toContain('You are unsubscribed');
  const p = await profile('scope-una');
  expect(p.consent.pairs).toEqual({ 'email:marketing': false });
  expect(p.consent.channels).toEqual({});
  expect(p.consent.history).toEqual([expect.objectContaining({ channel: 'email', topic: 'marketing', granted: false, source: 'one-click' })]);
  expect(p.consent.history?.[0]).not.toHaveProperty('link'); // the link's claims are checked, not kept
  // …and so does an old unscoped one (a mail sent before scopes): one-click works, once more changes nothing else.
  expect((await http(`/unsubscribe/${legacyToken('scope-una')}`, { method: 'POST' })).status).toBe(200);
  expect((await profile('scope-una')).consent.pairs).toEqual({ 'email:marketing': false });

  // The mail's preference link opens the page (a transactional mail still goes: it has one too).
  const pref = await http(`/preferences/${links.preferences}`);
  expect(pref.status).toBe(200);
  expect(boxes(pref.text)).toEqual({ email: true, sms: false, marketingEmail: false, marketingSms: false });
  expect(verifyPreferenceToken(PREFERENCES_SECRET, (await mailedLinks('scope-una', 'una@example.com', 'transactional')).preferences)).toMatchObject({
    ok: true,
    scope: 'preferences',
  });
});

test('"Forget my links" turns off every preference link sent so far: the old link gets a 410 and changes nothing, a new mail\'s link works', async () => {
  await customer('forget-fay', { email: 'fay@example.com', phone: '+14155550110' }, true);
  const old = await mailedLinks('forget-fay', 'fay@example.com', 'transactional');
  const page = await http(`/preferences/${old.preferences}`);
  expect(page.status).toBe(200);
  // The second form, after the first (Tab reaches Save first), with its own heading and description.
  expect(page.text).toMatch(
    /Save preferences<\/button>\n<\/form>\n<h2>Links in our emails<\/h2>\n<p id="forget-links-hint">[^<]+<\/p>\n<form method="post">\n<input type="hidden" name="form" value="forget-links">\n<button type="submit" aria-describedby="forget-links-hint">Forget my links<\/button>\n<\/form>/,
  );
  const runId = (await handle('forget-fay').describe()).runId;
  expect((await profile('forget-fay')).links).toEqual({ generation: 0, incarnation: runId });

  const forgot = await http(`/preferences/${old.preferences}`, { form: { form: 'forget-links' } });
  expect(forgot.status).toBe(200);
  expect(forgot.headers.get('location')).toBeNull();
  expect(forgot.text).toContain('Your old links no longer work');
  expect(forgot.text).toContain('<div class="status" role="status">');
  const afterForget = await profile('forget-fay');
  expect(afterForget.links).toEqual({ generation: 1, incarnation: runId });
  const consent = afterForget.consent;

  // The old link, and a link signed here without a workflow (generation 0): 410, on every method, nothing changes.
  for (const t of [old.preferences, token('forget-fay')]) {
    const get = await http(`/preferences/${t}`);
    expect(get.status).toBe(410);
    expect(get.text).toContain('This link no longer works');
    expect(get.text).toContain('use the “Email preferences” link in an email we send you from now on');
    expect(get.text).not.toMatch(/type="checkbox"|f•••@|0110/);
    expect((await http(`/preferences/${t}`, { form: { form: 'preferences' } })).status).toBe(410); // would revoke everything
    expect((await http(`/preferences/${t}`, { form: { form: 'forget-links' } })).status).toBe(410);
  }
  let p = await profile('forget-fay');
  expect(p.consent).toEqual(consent);
  expect(p.links).toEqual({ generation: 1, incarnation: runId }); // not bumped again

  // The customer workflow checks again when a change arrives (a "Forget my links" between the API's check and
  // its signal): a change through the old generation is dropped, through the current one applied.
  await handle('forget-fay').signal(updateConsentSignal, {
    channel: 'sms',
    granted: false,
    source: 'preference-centre',
    link: { generation: 0, incarnation: runId },
  });
  await handle('forget-fay').signal(forgetLinksSignal, { link: { generation: 0, incarnation: runId } });
  p = await profile('forget-fay');
  expect(p.consent).toEqual(consent);
  expect(p.links?.generation).toBe(1);

  // The next mail carries generation 1; its link opens the page and saves.
  const fresh = await mailedLinks('forget-fay', 'fay@example.com', 'transactional');
  expect(verifyPreferenceToken(PREFERENCES_SECRET, fresh.preferences)).toMatchObject({ ok: true, scope: 'preferences', generation: 1, incarnation: runId });
  expect((await http(`/preferences/${fresh.preferences}`)).status).toBe(200);
  const saved = await http(`/preferences/${fresh.preferences}`, { form: { form: 'preferences', email: 'on', 'marketing-email': 'on' } });
  expect(saved.status).toBe(200);
  expect(saved.text).toContain('<li>Text messages (SMS): off</li>');
  expect((await profile('forget-fay')).consent.channels.sms).toBe(false);

  // An unsubscribe link of the forgotten generation still unsubscribes (it can do nothing else, and a sent
  // mail's unsubscribe link must keep working).
  expect((await profile('forget-fay')).consent.pairs?.['email:marketing']).toBeUndefined();
  expect((await http(`/unsubscribe/${old.unsubscribe}`, { method: 'POST' })).status).toBe(200);
  expect((await profile('forget-fay')).consent.pairs?.['email:marketing']).toBe(false);
});

test("after an erase, the customer's links are refused; once a new event creates the customer again, the old links still do nothing", async () => {
  await customer('erase-erin', { email: 'erin@example.com' });
  const old = await mailedLinks('erase-erin', 'erin@example.com');
  expect((await http(`/preferences/${old.preferences}`)).status).toBe(200);
  const oldRun = (await handle('erase-erin').describe()).runId;

  const erased = await eraseCustomer(engine.client, 'erase-erin');
  expect(erased.deleted).toBeGreaterThanOrEqual(1);
  // Gone: 404 pages, and no request creates the customer again.
  expect((await http(`/preferences/${old.preferences}`)).status).toBe(404);
  expect((await http(`/preferences/${old.preferences}`, { form: grantEverything })).status).toBe(404);
  expect((await http(`/unsubscribe/${old.unsubscribe}`, { method: 'POST' })).status).toBe(404);
  await expect(handle('erase-erin').describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

  // A new event for the same ID: a new customer workflow, which the old links are not for.
  await customer('erase-erin', { email: 'erin.new@example.com' });
  const newRun = (await handle('erase-erin').describe()).runId;
  expect(newRun).not.toBe(oldRun);
  expect((await profile('erase-erin')).links).toEqual({ generation: 0, incarnation: newRun });
  const get = await http(`/preferences/${old.preferences}`);
  expect(get.status).toBe(410);
  expect(get.text).not.toContain('erin.new');
  expect(get.text).not.toMatch(/e•••@/);
  expect((await http(`/preferences/${old.preferences}`, { form: grantEverything })).status).toBe(410);
  expect((await http(`/preferences/${old.preferences}`, { form: { form: 'forget-links' } })).status).toBe(410);
  // One-click with the old unsubscribe link: answered like any (it only signals), but the new customer
  // workflow drops it, since the link names the erased one.
  expect((await http(`/unsubscribe/${old.unsubscribe}`, { form: { 'List-Unsubscribe': 'One-Click' } })).status).toBe(200);
  const p = await profile('erase-erin');
  expect(p.consent).toEqual({ channels: {}, topics: {} });
  expect(p.links).toEqual({ generation: 0, incarnation: newRun });

  // The new customer's own mail links work.
  const fresh = await mailedLinks('erase-erin', 'erin.new@example.com');
  expect(verifyPreferenceToken(PREFERENCES_SECRET, fresh.preferences)).toMatchObject({ ok: true, generation: 0, incarnation: newRun });
  const page = await http(`/preferences/${fresh.preferences}`);
  expect(page.status).toBe(200);
  expect(page.text).toContain('To e•••@example.com');
  expect((await http(`/unsubscribe/${fresh.unsubscribe}`, { method: 'POST' })).status).toBe(200);
  expect((await profile('erase-erin')).consent.pairs).toEqual({ 'email:marketing': false });
});

// ---- Twilio ---------------------------------------------------------------------------------------------

test('Twilio webhooks without a valid X-Twilio-Signature get 403 and change nothing', async () => {
  await customer('tw-mallory', { phone: '+14155550104' }, true);
  await findableByPhone('tw-mallory', '+14155550104');
  const stop = inboundSms('+14155550104', 'STOP');
  const cases = [
    twilioPost('/webhooks/twilio/sms', stop, twilioSignature('not-the-auth-token', `${PUBLIC_URL}/webhooks/twilio/sms`, stop)),
    twilioPost('/webhooks/twilio/sms', stop, twilioSignature(TWILIO_TOKEN, `${url}/webhooks/twilio/sms`, stop)), // signed for another URL
    twilioPost('/webhooks/twilio/sms', { ...stop, Body: 'START' }, twilioSignature(TWILIO_TOKEN, `${PUBLIC_URL}/webhooks/twilio/sms`, stop)), // body changed
    http('/webhooks/twilio/sms', { form: stop }), // no signature
    twilioPost('/webhooks/twilio/status', { MessageSid: 'SM1', MessageStatus: 'failed', ErrorCode: '21610', To: '+14155550104' }, 'bm90IGEgc2lnbmF0dXJl'),
  ];
  for (const res of await Promise.all(cases)) {
    expect(res.status).toBe(403);
    expect(res.text).toBe('invalid X-Twilio-Signature\n');
  }
  const p = await profile('tw-mallory');
  expect(p.consent.channels.sms).toBe(true);
  expect(p.consent.history).toHaveLength(1);
});

test('a signed STOP revokes SMS consent and the next SMS is suppressed (no-consent); START opts in again', async () => {
  await customer('tw-stan', { phone: '+14155550105', email: 'stan@example.com' }, true);
  await findableByPhone('tw-stan', '+14155550105');
  const items = { cartId: 'S1', items: [{ sku: 's1', name: 'Red shoe', price: 49 }], value: 49 };

  // Control: with consent, an SMS goes out through Twilio (Prism).
  const first = await requestDelivery('tw-stan', ['sms'], 'abandoned-cart/reminder-2', items, 'marketing');
  expect(await settled('tw-stan', first)).toMatchObject({ status: 'sent', channel: 'sms', to: '+14155550105' });

  const params = inboundSms('+14155550105', '  stop ');
  // The helper's HMAC is Twilio's own scheme (what its library computes).
  expect(twilioSignature(TWILIO_TOKEN, `${PUBLIC_URL}/webhooks/twilio/sms`, params)).toBe(
    twilio.getExpectedTwilioSignature(TWILIO_TOKEN, `${PUBLIC_URL}/webhooks/twilio/sms`, params),
  );
  const res = await twilioPost('/webhooks/twilio/sms', params);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/xml; charset=utf-8');
  expect(res.text).toBe(EMPTY_TWIML);

  const p = await profile('tw-stan');
  expect(p.consent.channels.sms).toBe(false);
  expect(p.consent.history?.at(-1)).toMatchObject({ channel: 'sms', granted: false, source: 'sms-stop' });

  // The next SMS, marketing or even transactional, is suppressed for want of consent; nothing reaches Twilio.
  const sentBefore = prism.recorded.length;
  const next = await requestDelivery('tw-stan', ['sms'], 'abandoned-cart/reminder-2', items, 'marketing');
  const receipt = await requestDelivery('tw-stan', ['sms'], 'abandoned-cart/reminder-2', items, 'transactional');
  expect(await settled('tw-stan', next)).toMatchObject({ status: 'suppressed', reason: 'no-consent', detail: 'no marketing consent for sms' });
  expect(await settled('tw-stan', receipt)).toMatchObject({ status: 'suppressed', reason: 'no-consent' });
  // With a fallback, the message goes by email instead.
  const fallback = await requestDelivery('tw-stan', ['sms', 'email'], 'abandoned-cart/reminder-2', items, 'marketing');
  expect(await settled('tw-stan', fallback)).toMatchObject({ status: 'sent', channel: 'email' });
  expect(prism.recorded.length).toBe(sentBefore);

  // Every opt-out keyword works, in any case; START (and UNSTOP, YES) opt back in.
  const startRes = await twilioPost('/webhooks/twilio/sms', inboundSms('+14155550105', 'Start'));
  expect(startRes.text).toBe(EMPTY_TWIML);
  expect((await profile('tw-stan')).consent.history?.at(-1)).toMatchObject({ channel: 'sms', granted: true, source: 'sms-start' });
  for (const word of ['STOPALL', 'unsubscribe', 'Cancel', 'END', 'quit']) {
    await twilioPost('/webhooks/twilio/sms', inboundSms('+14155550105', word));
    expect([word, (await profile('tw-stan')).consent.channels.sms]).toEqual([word, false]);
    await twilioPost('/webhooks/twilio/sms', inboundSms('+14155550105', word === 'END' ? 'unstop' : 'YES'));
    expect([word, (await profile('tw-stan')).consent.channels.sms]).toEqual([word, true]);
  }
  const again = await requestDelivery('tw-stan', ['sms'], 'abandoned-cart/reminder-2', items, 'marketing');
  expect(await settled('tw-stan', again)).toMatchObject({ status: 'sent', channel: 'sms' });
});

test('HELP gets the help text; other texts become an sms.received event once; unknown numbers get an empty answer', async () => {
  await customer('tw-hana', { phone: '+14155550106' }, true);
  await findableByPhone('tw-hana', '+14155550106');

  for (const word of ['HELP', 'info']) {
    const help = await twilioPost('/webhooks/twilio/sms', inboundSms('+14155550106', word));
    expect(help.status).toBe(200);
    expect(help.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Reply STOP to stop our texts, START to get them again. To choose what we send you, use the preferences link in any of our emails.</Message></Response>',
    );
  }

  const hello = inboundSms('+14155550106', 'Is my order on its way? STOP asking');
  expect((await twilioPost('/webhooks/twilio/sms', hello)).text).toBe(EMPTY_TWIML);
  expect((await twilioPost('/webhooks/twilio/sms', hello)).text).toBe(EMPTY_TWIML); // Twilio retried it
  let p = await profile('tw-hana');
  // optional: the assertions after it decide.
  await eventually('the text on the customer', async () => (p = await profile('tw-hana')).recentEvents.some((e) => e.name === 'sms.received'), {
    timeoutMs: 5_000,
    intervalMs: 100,
    optional: true,
  });
  expect(p.recentEvents.filter((e) => e.name === 'sms.received')).toEqual([expect.objectContaining({ messageId: `twilio:${hello.MessageSid}` })]);
  expect(p.consent.channels.sms).toBe(true); // not a keyword: consent untouched
  expect(p.consent.history).toHaveLength(1);

  // A number no customer has: the same empty answer as any text, for STOP or HELP alike.
  for (const word of ['STOP', 'HELP', 'hi']) {
    const res = await twilioPost('/webhooks/twilio/sms', inboundSms('+14155550999', word));
    expect([word, res.status, res.text]).toEqual([word, 200, EMPTY_TWIML]);
  }
});

test('a signed status callback lands on the ledger entry of that message; 21610 also revokes SMS consent', async () => {
  await customer('tw-otto', { phone: '+14155550107' }, true);
  await findableByPhone('tw-otto', '+14155550107');
  const id = await requestDelivery(
    'tw-otto',
    ['sms'],
    'abandoned-cart/reminder-2',
    { cartId: 'O1', items: [{ sku: 's1', name: 'Hat', price: 9 }], value: 9 },
    'transactional',
  );
  const entry = await settled('tw-otto', id);
  expect(entry).toMatchObject({ status: 'sent', channel: 'sms' });
  // The SID the real twilio client got back from Prism (Prism answers every send with the spec's example SID).
  const sid = entry.providerId as string;
  expect(sid).toMatch(/^SM[0-9a-f]{32}$/i);

  const callback = (status: string, errorCode?: string) => ({
    SmsSid: sid,
    SmsStatus: status,
    MessageStatus: status,
    To: '+14155550107',
    MessageSid: sid,
    AccountSid: TWILIO_SID,
    From: '+15005550006',
    ApiVersion: '2010-04-01',
    ...(errorCode ? { ErrorCode: errorCode } : {}),
  });
  const res = await twilioPost('/webhooks/twilio/status', callback('undelivered', '30003'));
  expect(res.status).toBe(200);
  let ledger = await handle('tw-otto').query(ledgerQuery);
  expect(ledger.find((e) => e.id === id)).toMatchObject({ status: 'sent', providerId: sid, providerStatus: 'undelivered', providerError: '30003' });
  expect((await profile('tw-otto')).consent.channels.sms).toBe(true); // 30003 (unreachable) is not an opt-out

  // Twilio's 21610: the number replied STOP at the carrier; the engine stops texting it.
  await twilioPost('/webhooks/twilio/status', callback('failed', '21610'));
  ledger = await handle('tw-otto').query(ledgerQuery);
  expect(ledger.find((e) => e.id === id)).toMatchObject({ providerStatus: 'failed', providerError: '21610' });
  const p = await profile('tw-otto');
  expect(p.consent.channels.sms).toBe(false);
  expect(p.consent.history?.at(-1)).toMatchObject({ channel: 'sms', granted: false, source: 'provider-21610' });

  // Statuses the ledger does not record are acknowledged and ignored; a callback without its fields is a 400.
  expect((await twilioPost('/webhooks/twilio/status', callback('sending'))).status).toBe(200);
  expect((await twilioPost('/webhooks/twilio/status', { MessageSid: sid })).status).toBe(400);
});

// ---- without Temporal -------------------------------------------------------------------------------------

test('Temporal not answering: 503 pages with Retry-After; bad tokens, signatures and oversized forms are refused without it', async () => {
  // The same routes in front of an address where nothing listens: every Temporal call fails.
  // No gRPC retry interceptor, so no call is still retrying in the background when the connection closes.
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200, interceptors: [] });
  const deadConfig = loadConfig({ PREFERENCES_SECRET, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, PUBLIC_URL: 'http://localhost:3000', API_TEMPORAL_TIMEOUT_MS: '500' });
  const dead = buildServer({ client: new Client({ connection }), taskQueue: 'nowhere', api: deadConfig.api, customers: customersConfig(deadConfig) });
  const base = await dead.listen({ port: 0, host: '127.0.0.1' });
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
  try {
    const t = token('c-1');
    for (const [method, path] of [
      ['GET', `/preferences/${t}`],
      ['POST', `/preferences/${t}`],
      ['POST', `/unsubscribe/${t}`],
    ]) {
      const res = await call(path, { method, headers: formHeaders, body: method === 'POST' ? 'form=preferences&List-Unsubscribe=One-Click' : undefined });
      expect([method, path, res.status]).toEqual([method, path, 503]);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('retry-after')).toBe('30');
      expect(res.text).toContain(
        method === 'GET'
          ? 'We could not load your settings: please try again in a few minutes.'
          : 'Your choice may not have been saved: please try again in a few minutes.',
      );
    }
    const params = { From: '+14155550100', Body: 'STOP', MessageSid: 'SM1' };
    const signed = { ...formHeaders, 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, 'http://localhost:3000/webhooks/twilio/sms', params) };
    expect((await call('/webhooks/twilio/sms', { method: 'POST', headers: signed, body: new URLSearchParams(params).toString() })).status).toBe(503);

    // Refused before Temporal is asked.
    const forged = signPreferenceToken('another-secret-0123456789', { customerId: 'c-1', scope: 'preferences' });
    expect((await call(`/preferences/${forged}`)).status).toBe(403);
    expect((await call(`/preferences/${unsubscribeToken('c-1')}`)).status).toBe(403); // the scope is in the token
    expect((await call(`/preferences/${unsubscribeToken('c-1')}`, { method: 'POST', headers: formHeaders, body: 'form=forget-links' })).status).toBe(403);
    expect((await call(`/unsubscribe/${forged}`, { method: 'POST' })).status).toBe(403);
    expect((await call('/webhooks/twilio/status', { method: 'POST', headers: formHeaders, body: 'MessageSid=SM1&MessageStatus=failed&To=%2B1' })).status).toBe(
      403,
    );
    expect((await call('/webhooks/twilio/sms')).status).toBe(405); // GET: the path takes POST only
    const big = await call(`/preferences/${t}`, { method: 'POST', headers: formHeaders, body: `form=preferences&x=${'a'.repeat(10_000)}` });
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toBe('text/html; charset=utf-8');
  } finally {
    await dead.close();
    await connection.close().catch(() => undefined);
  }
});
