// The welcome journey on Temporal's time-skipping server: 33 days of journey in seconds, real mail.
import type { SimulationClock } from '../../simulate/clock';
import { journeyStatusQuery, ledgerQuery } from '../../domain/messages';
import type { RunningEngine } from '../helpers/engine';
import type { SmtpSink } from '../../harness/smtpSink';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../helpers/timeSkipping';

let h: TimeSkippingHarness;
let smtp: SmtpSink;
let engine: RunningEngine;
let clock: SimulationClock;
const DAY = 86_400_000;

beforeAll(async () => {
  // Quiet hours off here: this test is about long sleeps, not about the clock of day.
  h = await startTimeSkippingHarness({ policy: { caps: { perDay: 2, perWeek: 5 }, quietHours: null } });
  ({ smtp, engine, clock } = h);
});

afterAll(async () => {
  await h?.stop();
});

const mailsTo = (address: string) => smtp.mailsTo(address);

test('a signed-up customer gets the welcome mail, a nudge after 3 days and a check-in after 30 more days', async () => {
  h.watch('ada');
  await engine.send({ customerId: 'ada', type: 'identify', name: 'identify', traits: { email: 'ada@example.com', firstName: 'Ada' } });
  await engine.send({ customerId: 'ada', name: 'user.signed_up', properties: { plan: 'pro' } });
  const journey = await engine.started('journey:welcome:ada');

  const t0 = await clock.now();
  await clock.advanceTo(new Date(t0.getTime() + 40 * DAY));

  const result = await journey.result();
  expect(result.status).toBe('completed');
  const mails = mailsTo('ada@example.com');
  expect(mails.map((m) => m.subject)).toEqual(['Welcome to Acme, Ada!', 'Your first project is one click away', 'How is your first month going?']);
  expect(mails[0].html).toContain('<strong>pro</strong>');
  expect(mails[0].text).toContain('Your pro plan is ready');
  expect(mails[2].text).toContain('We noticed you have not started a project yet');

  const sent = (await engine.client.workflow.getHandle('customer:ada').query(ledgerQuery)).filter((e) => e.status === 'sent');
  expect(sent).toHaveLength(3);
  const days = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / DAY;
  expect(days(t0.toISOString(), sent[0].at)).toBeLessThan(0.01);
  expect(days(sent[0].at, sent[1].at)).toBeCloseTo(3, 2);
  expect(days(sent[1].at, sent[2].at)).toBeCloseTo(30, 2);
  // 40 days of engine time within the test's timeout: the server skipped the timers. (No wall-clock bound:
  // how long the skipping takes depends on how loaded the machine is, which says nothing about the journey.)
  expect((await clock.now()).getTime() - t0.getTime()).toBeGreaterThanOrEqual(40 * DAY);

  const status = await journey.query(journeyStatusQuery);
  // Entered, the three mails in this order, completed, and nothing else (no suppressed or failed send). Which
  // steps it records between them is the journey's own bookkeeping, not what this test is about.
  expect(status.timeline.filter((t) => t.kind !== 'step').map((t) => (t.kind === 'message' ? `message ${t.template}` : t.kind))).toEqual([
    'entered',
    'message welcome/hello',
    'message welcome/first-project-nudge',
    'message welcome/check-in',
    'completed',
  ]);
});

test('an activated customer gets no nudge, and subscribing converts and stops the journey', async () => {
  h.watch('bob');
  await engine.send({ customerId: 'bob', type: 'identify', name: 'identify', traits: { email: 'bob@example.com' } });
  await engine.send({ customerId: 'bob', name: 'user.signed_up', properties: {} });
  const journey = await engine.started('journey:welcome:bob');
  await clock.settle();
  await engine.send({ customerId: 'bob', name: 'project.created', properties: { projectId: 'p1' } });
  await clock.advanceTo(new Date((await clock.now()).getTime() + 5 * DAY));
  await engine.send({ customerId: 'bob', name: 'subscription.started', properties: {} });
  await clock.settle();
  const result = await journey.result();
  expect(result.status).toBe('converted');
  expect(mailsTo('bob@example.com').map((m) => m.subject)).toEqual(['Welcome to Acme, there!']);
});
