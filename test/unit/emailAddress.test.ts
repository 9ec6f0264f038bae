// The email trait is exactly one address (issue 14, point 2): the check itself, every way a trait comes in
// (the API's schemas and document, CustomerEvent for the CLI and simulate, a journey's j.updateTraits), and
// the email channel, which refuses anything else for good and hands nodemailer nothing it could read as a list.
import { ApplicationFailure } from '@temporalio/common';
import { simpleParser } from 'mailparser';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { z } from 'zod';
import { createEmailActivities } from '../../activities/email';
import { FailureTypes, type DeliverInput } from '../../domain/delivery';
import { invalidRequest } from '../../api/errors';
import { buildOpenApi } from '../../api/openapi';
import { BatchRequest, IdentifyRequest, TrackRequest } from '../../api/schemas';
import { EMAIL_ADDRESS, emailAddressProblem, isEmailAddress } from '../../sdk/emailAddress';
import { CustomerEvent } from '../../sdk/events';
import { defineJourney } from '../../sdk/journey';
import { testJourney } from '../../testkit/testJourney';
import { Scenario } from '../../simulate/scenario';
import { createRenderer } from '../../worker/activities';

const LIST = 'a@x.com, b@evil.example';
const BCC = 'a@x.com\r\nBcc: b@evil.example';
const THREE_HUNDRED = Array.from({ length: 300 }, (_, i) => `p${i}@x.com`).join(',');

describe('emailAddressProblem: exactly one bare address', () => {
  test.each([
    'ada@example.com',
    'ada.lovelace+news@mail.example.co.uk',
    "o'brien@example.ie",
    'x_y-z@sub-domain.example',
    'UPPER@EXAMPLE.COM',
    'a@xn--jgeva-dua.ee',
    'victim@hostile.example',
    `${'l'.repeat(64)}@${'d'.repeat(63)}.example`,
  ])('%s is one address', (value) => {
    expect(emailAddressProblem(value)).toBeUndefined();
    expect(isEmailAddress(value)).toBe(true);
  });

  test.each(
    [
      [LIST, 'it contains "," or ";", which separate several addresses'],
      [THREE_HUNDRED, `it is ${THREE_HUNDRED.length} characters long, over the 254 an address can have`],
      [Array.from({ length: 10 }, (_, i) => `p${i}@x.com`).join(','), 'it contains "," or ";", which separate several addresses'],
      ['a@x.com;b@evil.example', 'it contains "," or ";", which separate several addresses'],
      [BCC, 'it contains a line break'],
      ['a@x.com\nBcc: b@evil.example', 'it contains a line break'],
      ['a@x.com\rb@evil.example', 'it contains a line break'],
      ['Ada <a@x.com>', 'it contains angle brackets, quotes or parentheses: give the bare address, without a name'],
      ['<a@x.com>', 'it contains angle brackets, quotes or parentheses: give the bare address, without a name'],
      ['"a@x.com" b@evil.example', 'it contains angle brackets, quotes or parentheses: give the bare address, without a name'],
      ['a@x.com (b@evil.example)', 'it contains angle brackets, quotes or parentheses: give the bare address, without a name'],
      ['friends:a@x.com,b@evil.example;', 'it contains "," or ";", which separate several addresses'],
      ['undisclosed-recipients:b@evil.example', 'it contains ":" (an address group)'],
      ['a@x.com b@evil.example', 'it contains whitespace'],
      [' a@x.com', 'it contains whitespace'],
      ['a@x.com\t', 'it contains whitespace'],
      ['ada.example.com', 'it has no "@"'],
      ['a@b@evil.example', 'it has 2 "@"'],
      ['.ada@example.com', 'the part before "@" is not a plain address (letters, digits, dots not at either end or doubled)'],
      ['ada..l@example.com', 'the part before "@" is not a plain address (letters, digits, dots not at either end or doubled)'],
      ['adá@example.com', 'the part before "@" is not a plain address (letters, digits, dots not at either end or doubled)'],
      ['ada@localhost', expect.stringMatching(/^the domain is not a host name like "example\.com"/)],
      ['ada@127.0.0.1', expect.stringMatching(/^the domain is not a host name/)],
      ['ada@[127.0.0.1]', expect.stringMatching(/^it contains angle brackets|^the domain is not a host name/)],
      ['ada@example.com.', expect.stringMatching(/^the domain is not a host name/)],
      ['ada@-example.com', expect.stringMatching(/^the domain is not a host name/)],
      ['ada@exa_mple.com', expect.stringMatching(/^the domain is not a host name/)],
      ['ada@jõgeva.ee', expect.stringMatching(/xn--/)],
      [`ada@${'d'.repeat(64)}.example`, expect.stringMatching(/^the domain is not a host name/)],
      [`${'l'.repeat(250)}@x.com`, 'it is 256 characters long, over the 254 an address can have'],
      ['', 'it is empty (send null to remove the trait)'],
      [42, 'got a number, not a string'],
      [['a@x.com'], 'got an array, not a string'],
      [{ address: 'a@x.com' }, 'got an object, not a string'],
    ].map(([value, problem]) => [JSON.stringify(value).slice(0, 60), value, problem]),
  )('%s is refused', (_name, value, problem) => {
    expect(emailAddressProblem(value)).toEqual(problem);
    expect(isEmailAddress(value)).toBe(false);
  });

  test('the pattern alone decides (what the API document carries): it agrees with the check on every case above', () => {
    for (const v of ['ada@example.com', LIST, BCC, 'Ada <a@x.com>', 'a@b@c.com', 'ada@localhost', 'a@xn--jgeva-dua.ee']) {
      expect(EMAIL_ADDRESS.test(v)).toBe(emailAddressProblem(v) === undefined);
    }
    expect(EMAIL_ADDRESS.flags).toBe('');
  });
});

describe('the API answers 400 naming the field', () => {
  const issues = (r: { success: boolean; error?: unknown }) => (r.success ? [] : invalidRequest(r.error as never).issues);

  test.each([
    ['a list', LIST],
    ['a header break with a Bcc', BCC],
    ['300 addresses', THREE_HUNDRED],
    ['a display name', 'Ada <a@x.com>'],
    ['a number', 7],
  ])('identify with %s in traits.email', (_name, email) => {
    const r = IdentifyRequest.safeParse({ userId: 'u1', traits: { email, firstName: 'Ada' } });
    expect(issues(r)).toEqual([{ path: 'traits.email', message: expect.stringMatching(/^expected exactly one email address: /) }]);
    expect(invalidRequest(r.error as never).message).toMatch(/^invalid request: traits\.email: expected exactly one email address/);
  });

  test('in a batch, in context.traits (merged on identify) and in a batch-level context', () => {
    expect(
      issues(
        BatchRequest.safeParse({
          batch: [
            { type: 'track', userId: 'u', event: 'e' },
            { type: 'identify', userId: 'u', traits: { email: LIST } },
          ],
        }),
      ),
    ).toEqual([{ path: 'batch.1.traits.email', message: expect.stringContaining('"," or ";"') }]);
    expect(issues(IdentifyRequest.safeParse({ userId: 'u', context: { traits: { email: BCC } } }))).toEqual([
      { path: 'context.traits.email', message: 'expected exactly one email address: it contains a line break' },
    ]);
    expect(issues(BatchRequest.safeParse({ batch: [{ type: 'identify', userId: 'u' }], context: { traits: { email: LIST } } }))).toEqual([
      { path: 'context.traits.email', message: expect.stringContaining('"," or ";"') },
    ]);
    // context.traits is ignored on track calls, but an email in it is held to the same rule.
    expect(issues(TrackRequest.safeParse({ userId: 'u', event: 'e', context: { traits: { email: LIST } } }))).toEqual([
      { path: 'context.traits.email', message: expect.stringContaining('"," or ";"') },
    ]);
  });

  test('one address, or null (removes the trait), is accepted; other traits are free', () => {
    expect(IdentifyRequest.safeParse({ userId: 'u', traits: { email: 'ada@example.com', note: 'a, b; <c>' } }).success).toBe(true);
    expect(IdentifyRequest.safeParse({ userId: 'u', traits: { email: null } }).success).toBe(true);
    expect(IdentifyRequest.safeParse({ userId: 'u', traits: {} }).success).toBe(true);
  });

  test('/openapi.json says so: traits.email has the pattern and maximum length the API checks', () => {
    const schemas = (buildOpenApi().components as { schemas: Record<string, { properties: Record<string, unknown> }> }).schemas;
    const traits = schemas.IdentifyRequest.properties.traits as { anyOf?: unknown[]; properties?: Record<string, unknown> };
    const email = JSON.stringify(traits);
    expect(email).toContain(JSON.stringify(EMAIL_ADDRESS.source));
    expect(email).toContain('"maxLength":254');
    expect(JSON.stringify(schemas.Context.properties.traits)).toContain(JSON.stringify(EMAIL_ADDRESS.source));
  });
});

describe('the other ways in', () => {
  const event = (traits: Record<string, unknown>) => ({ messageId: 'm', type: 'identify', customerId: 'c', name: 'identify', traits });

  test('CustomerEvent (sendEvent: the CLI, simulate, the API) refuses a bad email trait, naming it', () => {
    const r = CustomerEvent.safeParse(event({ email: BCC }));
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['traits.email', 'expected exactly one email address: it contains a line break'],
    ]);
    expect(CustomerEvent.safeParse(event({ email: 'ada@example.com' })).success).toBe(true);
  });

  test('a scenario file names the trait', () => {
    const r = Scenario.safeParse({ start: '2026-01-05T09:00:00Z', customer: { id: 'c', traits: { email: LIST } }, until: '1d' });
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['customer.traits.email']);
  });

  const copiesEmail = defineJourney({
    name: 'copies-email',
    version: 1,
    trigger: { event: 'address.changed', schema: z.object({ email: z.string() }) },
    async run(j) {
      await j.updateTraits({ email: j.entry.properties.email });
      await j.send('email', 'welcome/hello');
    },
  });

  test('j.updateTraits with a list fails in testJourney as it does in the engine, naming the journey and trait', async () => {
    await expect(testJourney(copiesEmail, { entry: { email: LIST } })).rejects.toThrow(
      'j.updateTraits in journey "copies-email": traits.email: expected exactly one email address: it contains "," or ";", which separate several addresses',
    );
    expect((await testJourney(copiesEmail, { entry: { email: 'ada@example.com' } })).sent).toEqual(['welcome/hello']);
  });
});

describe('the email channel', () => {
  const sent: SendMailOptions[] = [];
  const raw: Buffer[] = [];
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const send = transport.sendMail.bind(transport);
  transport.sendMail = (async (mail: SendMailOptions) => {
    sent.push(mail);
    const info = await send(mail);
    raw.push(info.message as Buffer);
    return info;
  }) as typeof transport.sendMail;
  const email = createEmailActivities({
    transport,
    from: 'Acme <hello@acme.test>',
    renderer: createRenderer(),
    publicUrl: 'https://journeys.acme.test',
    preferencesSecret: 'prefs-secret-for-tests-0123456789',
  });
  const input = (to: string): DeliverInput => ({
    idempotencyKey: 'journey:welcome:c-9/1.1',
    customerId: 'c-9',
    journey: 'welcome',
    channel: 'email',
    to,
    template: 'welcome/hello',
    topic: 'marketing',
    vars: { customer: { id: 'c-9' }, traits: {}, data: { plan: 'pro' }, journey: 'welcome' },
  });

  beforeEach(() => {
    sent.length = 0;
    raw.length = 0;
  });

  test.each([
    ['a list', LIST],
    ['a header break with a Bcc', BCC],
    ['300 addresses', THREE_HUNDRED],
    ['a display name', 'Ada <a@x.com>'],
    ['a single-label host', 'ada@localhost'],
  ])('refuses %s for good as invalid-address, and hands nodemailer nothing', async (_name, to) => {
    const err = await email.sendEmail(input(to)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureTypes.InvalidAddress, nonRetryable: true });
    expect((err as Error).message).toMatch(
      /^cannot mail customer "c-9": the "email" trait is not exactly one email address \(.+\); nothing was sent\. Fix the trait with identify/,
    );
    // The stored value is not repeated in the message (it goes to logs and Temporal's history).
    expect((err as Error).message).not.toContain('evil.example');
    expect(sent).toEqual([]);
  });

  test('one address goes out to that one address: a structured To and an explicit envelope, never parsed as a list', async () => {
    await email.sendEmail(input('ada@example.com'));
    expect(sent).toHaveLength(1);
    expect(sent[0].to).toEqual({ name: '', address: 'ada@example.com' });
    expect(sent[0].envelope).toEqual({ from: 'Acme <hello@acme.test>', to: [{ name: '', address: 'ada@example.com' }] });
    const mail = await simpleParser(raw[0]);
    expect(mail.to).toMatchObject({ value: [{ address: 'ada@example.com', name: '' }] });
  });
});
