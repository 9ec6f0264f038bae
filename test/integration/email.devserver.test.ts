// End to end on a real Temporal dev server (the one `npm start` runs): an event in, a real mail out
// through a real SMTP server, and both workflows findable the way an operator would look for them.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import nodemailer from 'nodemailer';
import { createDeliveryActivities } from '../../activities/delivery';
import { createEmailActivities } from '../../activities/email';
import { createRenderer } from '../../worker/activities';
import { journeyStatusQuery, profileQuery } from '../../workflows/messages';
import { startDevServer, startEngine, type RunningEngine } from '../helpers/engine';
import { startSmtpSink, type SmtpSink } from '../helpers/smtpSink';

let env: TestWorkflowEnvironment;
let smtp: SmtpSink;
let engine: RunningEngine;

beforeAll(async () => {
  [env, smtp] = await Promise.all([startDevServer(), startSmtpSink()]);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
  const email = createEmailActivities({ transport, from: 'Acme <hello@acme.test>', renderer: createRenderer() });
  engine = await startEngine(env, createDeliveryActivities({ email: email.sendEmail }), { policy: { caps: { perDay: 2, perWeek: 5 }, quietHours: null } });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  await env?.teardown();
  await smtp?.close();
});

test('a sign-up event puts a personalised welcome mail in a real SMTP inbox', async () => {
  await engine.send({ customerId: 'c-42', type: 'identify', name: 'identify', traits: { email: 'grace@example.com', firstName: 'Grace' } });
  await engine.send({ customerId: 'c-42', name: 'user.signed_up', properties: { plan: 'team' } });

  const mail = await smtp.waitFor((m) => m.subject === 'Welcome to Acme, Grace!');
  expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('grace@example.com');
  expect(mail.from?.value[0]).toMatchObject({ name: 'Acme', address: 'hello@acme.test' });
  expect(mail.html).toContain('<strong>team</strong>');
  expect(mail.text).toContain('Your team plan is ready');
  expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@omnijourney\.local>$/);
  expect(mail.headers.get('x-omnijourney-template')).toBe('welcome/hello');
});

test('operators find the customer and the journey by search attributes, and see what it waits for', async () => {
  const journey = await engine.started('journey:welcome:c-42');
  // The journey is now waiting for the first project (3 days).
  for (let i = 0; i < 50; i++) {
    const s = await journey.query(journeyStatusQuery);
    if (s.step === 'wait-for-first-project' && s.wakeAt) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const status = await journey.query(journeyStatusQuery);
  expect(status.step).toBe('wait-for-first-project');
  expect(status.waitingFor).toMatch(/^waiting for `project.created` until \d{4}-/);

  const found: string[] = [];
  for (let i = 0; i < 50 && found.length < 2; i++) {
    found.length = 0;
    for await (const w of engine.client.workflow.list({ query: `CustomerId = "c-42"` })) found.push(w.workflowId);
    if (found.length < 2) await new Promise((r) => setTimeout(r, 200));
  }
  expect(found.sort()).toEqual(['customer:c-42', 'journey:welcome:c-42']);

  const byStep: string[] = [];
  for await (const w of engine.client.workflow.list({ query: `JourneyName = "welcome" AND JourneyStep = "wait-for-first-project"` })) byStep.push(w.workflowId);
  expect(byStep).toContain('journey:welcome:c-42');

  const profile = await engine.client.workflow.getHandle('customer:c-42').query(profileQuery);
  expect(profile.identities.email).toBe('grace@example.com');
  expect(profile.traits.firstName).toBe('Grace');
});

test('a repeated messageId (a client retry) is counted once and sends nothing twice', async () => {
  const event = { customerId: 'c-43', name: 'user.signed_up', messageId: 'retry-1', properties: { plan: 'free' } };
  await engine.send({ customerId: 'c-43', type: 'identify', name: 'identify', traits: { email: 'retry@example.com' } });
  await engine.send(event);
  await engine.send(event);
  await smtp.waitFor((m) => m.to !== undefined && !Array.isArray(m.to) && m.to.text === 'retry@example.com');
  await new Promise((r) => setTimeout(r, 1500));
  expect(smtp.mails.filter((m) => m.to && !Array.isArray(m.to) && m.to.text === 'retry@example.com')).toHaveLength(1);
  const profile = await engine.client.workflow.getHandle('customer:c-43').query(profileQuery);
  expect(profile.recentEvents.filter((e) => e.messageId === 'retry-1')).toHaveLength(1);
});
