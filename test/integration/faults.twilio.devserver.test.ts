// Twilio failing, with the worker's real SMS wiring: the real `twilio` client talks to a fault-injecting
// proxy in front of Prism (test/helpers/prism.ts), which answers the first requests for a number itself
// (429, 500: Twilio overloaded or failing) and then passes them to Prism, or refuses a number for good
// (21211: not a valid phone number). Journeys (abandoned-cart with its waits in milliseconds) send the SMS
// through the customer workflow's delivery pipeline on a real dev server; fallbacks go to a real SMTP server.
//   - 429 then 500, then Twilio is back: the SMS goes out once, after retries spaced by Temporal's back-off.
//   - 21211: no retry (exactly one call to Twilio for that message), the email fallback goes out once.
import { createWorkerActivities } from '../../worker/activities';
import type { LedgerEntry } from '../../domain/customerState';
import { customerWorkflowId, ledgerQuery, updateConsentSignal } from '../../domain/messages';
import { startDevServerHarness, type DevServerHarness, type WithPrism } from '../helpers/devServerHarness';
import type { RunningEngine } from '../helpers/engine';
import { bundleWithFaultJourneys, reliabilityLine, sleep, until } from '../helpers/faults';
import { failFirst, injectors, twilioError, type PrismServer, type RecordedRequest } from '../helpers/prism';
import type { SmtpSink } from '../../harness/smtpSink';

const FLAKY = '+14155550161';
const INVALID = '+14155550162';

let h: WithPrism<DevServerHarness>;
let smtp: SmtpSink;
let prism: PrismServer;
let engine: RunningEngine;

beforeAll(async () => {
  // The worker's own wiring; the harness points SMTP at its sink and Twilio at its Prism (faults off at stop).
  h = await startDevServerHarness({
    name: 'twilio-faults',
    prism: true,
    config: {
      TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
      TWILIO_AUTH_TOKEN: 'twilio-faults-auth-token',
      TWILIO_FROM: '+15005550006',
      CHANNEL_TIMEOUT_MS: '5000',
    },
    activities: (config) => createWorkerActivities(config),
    bundle: bundleWithFaultJourneys(),
  });
  ({ smtp, prism, engine } = h);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

const items = [{ sku: 'sku-1', name: 'Trail shoes', price: 90, quantity: 1 }];
const toNumber = (r: RecordedRequest, phone: string) => r.path.endsWith('/Messages.json') && new URLSearchParams(r.rawBody).get('To') === phone;

/** A customer with email, phone and SMS consent who abandons a cart: reminder-1 by email at once, reminder-2
 *  by SMS (email if SMS fails for good) right after. */
async function abandonCart(customerId: string, phone: string): Promise<void> {
  await engine.send({ customerId, type: 'identify', name: 'identify', traits: { email: `${customerId}@twilio.example`, phone, firstName: 'Sam' } });
  await engine.client.workflow.getHandle(customerWorkflowId(customerId)).signal(updateConsentSignal, { channel: 'sms', granted: true, source: 'test-signup' });
  await engine.send({ customerId, name: 'fastcart.started', properties: { cartId: `cart-${customerId}`, items, value: 90, firstMs: 0, secondMs: 0 } });
}

/** The ledger entries of reminder-2 once one of them is sent (a failed SMS and its email fallback are two). */
async function reminder2(customerId: string, timeoutMs = 60_000): Promise<LedgerEntry[]> {
  const handle = engine.client.workflow.getHandle(customerWorkflowId(customerId));
  let entries: LedgerEntry[] = [];
  await until(
    `reminder-2 sent to ${customerId}`,
    async () => {
      entries = (await handle.query(ledgerQuery)).filter((e) => e.template === 'abandoned-cart/reminder-2');
      return entries.some((e) => e.status === 'sent');
    },
    timeoutMs,
    () => JSON.stringify(entries),
  );
  return entries;
}

test('Twilio answers 429, then 500, then works: the SMS is delivered once, retried with back-off', async () => {
  prism.inject(failFirst((form) => form.get('To') === FLAKY, [twilioError(429, 20429, 'Too Many Requests'), twilioError(500, 20500, 'Internal Server Error')]));
  await abandonCart('sms-flaky', FLAKY);
  const entries = await reminder2('sms-flaky');
  expect(entries).toEqual([expect.objectContaining({ status: 'sent', channel: 'sms', to: FLAKY, providerId: expect.stringMatching(/^SM/) })]);
  await sleep(5000); // a further retry would have come by now (back-off 2 s, 4 s, 8 s)

  const calls = prism.recorded.filter((r) => toNumber(r, FLAKY));
  expect(calls.map((c) => [c.status, c.injected])).toEqual([
    [429, true],
    [500, true],
    [201, false], // the one that reached Twilio (Prism)
  ]);
  const gaps = calls.slice(1).map((c, i) => c.at - calls[i].at);
  // Temporal's back-off: 2 s, then 4 s (initialInterval 2 s, coefficient 2), give or take scheduling.
  expect(gaps[0]).toBeGreaterThanOrEqual(1800);
  expect(gaps[1]).toBeGreaterThanOrEqual(3600);
  expect(gaps[1]).toBeGreaterThan(gaps[0]);
  // Only the first reminder went by email; the SMS did not fall back.
  expect(smtp.mailsTo('sms-flaky@twilio.example').map((m) => m.subject)).toEqual(['You left 1 item in your cart']);
  reliabilityLine(
    `Twilio 429 then 500 then OK: ${calls.length} calls (${calls.filter((c) => c.injected).length} injected faults), delivered ${calls.filter((c) => !c.injected).length}×, ` +
      `gaps ${gaps.map((g) => `${(g / 1000).toFixed(1)} s`).join(', ')}; lost 0, duplicated ${Math.max(0, calls.filter((c) => !c.injected).length - 1)}`,
  );
}, 120_000);

test('Twilio 21211 (not a valid number): no retry storm, exactly one Twilio call, the email fallback goes out once', async () => {
  prism.inject(
    injectors((_r, form) => (form.get('To') === INVALID ? twilioError(400, 21211, `The 'To' number ${INVALID} is not a valid phone number.`) : undefined)),
  );
  await abandonCart('sms-invalid', INVALID);
  await reminder2('sms-invalid');
  await smtp.waitFor(
    (m) => m.subject === 'Still thinking it over?' && m.to !== undefined && JSON.stringify(m.to).includes('sms-invalid@twilio.example'),
    30_000,
  );
  await sleep(6000); // a retry would have come after 2 s, a second after 4 s more

  const calls = prism.recorded.filter((r) => toNumber(r, INVALID));
  expect(calls.map((c) => c.status)).toEqual([400]);
  // The ledger: the SMS failed for good (with Twilio's reason), the fallback went by email.
  const entries = await reminder2('sms-invalid');
  expect(entries.map((e) => `${e.status}:${e.channel}`)).toEqual(['failed:sms', 'sent:email']);
  expect(entries[0].detail ?? entries[0].reason).toMatch(/21211|not a valid phone number/);
  const mails = smtp.mailsTo('sms-invalid@twilio.example').map((m) => m.subject);
  expect(mails).toEqual(['You left 1 item in your cart', 'Still thinking it over?']);
  reliabilityLine(
    `Twilio 21211: ${calls.length} Twilio call(s), email fallback ×${mails.filter((s) => s === 'Still thinking it over?').length}; lost 0, duplicated 0`,
  );
}, 120_000);
