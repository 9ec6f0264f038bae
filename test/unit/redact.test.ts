// Personal data out of send failures (activities/redact.ts): what the worker logs, Temporal keeps in its
// history and the ledger shows says which address it was without holding it. And an SMTP server's answer,
// with the address in it, classified: 4xx on RCPT (greylisting) is retried, 5xx is for good.
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { createEmailActivities } from '../../activities/email';
import { maskEmail, maskPhone, redact } from '../../activities/redact';
import { FailureTypes, type DeliverInput } from '../../domain/delivery';
import { createRenderer } from '../../worker/activities';

test.each([
  ["The 'To' number +14155557319 is not a valid phone number.", "The 'To' number …7319 is not a valid phone number."],
  ['to +1 (415) 555-7319, 415-555-7319 or +44 7911 123456', 'to …7319, …7319 or …3456'],
  ['451 4.7.1 <zoe.leak+tag@privacy-check.example>: Recipient address rejected', '451 4.7.1 <z…@privacy-check.example>: Recipient address rejected'],
  // Not personal data: codes, durations, timestamps, SIDs, idempotency keys.
  ['HTTP 400, Twilio error 21211, after 60000 ms at 2026-11-23T21:23:22.956Z', 'HTTP 400, Twilio error 21211, after 60000 ms at 2026-11-23T21:23:22.956Z'],
  ['SM0123456789abcdef0123456789abcdef journey:welcome:c-7/1.12345678', 'SM0123456789abcdef0123456789abcdef journey:welcome:c-7/1.12345678'],
])('redact(%p)', (text, expected) => expect(redact(text)).toBe(expected));

test('masks', () => {
  expect(maskPhone('+14155550100')).toBe('…0100');
  expect(maskPhone('12')).toBe('…');
  expect(maskEmail('ada@example.com')).toBe('a…@example.com');
  expect(maskEmail('not-an-address')).toBe('…');
});

describe('an SMTP server that refuses the recipient and names it', () => {
  let server: SMTPServer;
  let port: number;
  let answer: { code: number; message: string } | undefined;
  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _s, cb) {
        cb(answer ? Object.assign(new Error(answer.message.replace('ADDR', address.address)), { responseCode: answer.code }) : undefined);
      },
      onData(stream, _s, cb) {
        stream.resume();
        stream.on('end', () => cb());
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const send = () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    const email = createEmailActivities({
      transport,
      from: 'Acme <hello@acme.test>',
      renderer: createRenderer(),
      publicUrl: 'https://journeys.acme.test',
      preferencesSecret: 'prefs-secret-for-tests-0123456789',
    });
    const input: DeliverInput = {
      idempotencyKey: 'journey:welcome:c1/1.1',
      customerId: 'c1',
      journey: 'welcome',
      channel: 'email',
      to: 'grace.hopper.8812@navy.example',
      template: 'welcome/hello',
      topic: 'transactional',
      vars: { customer: { id: 'c1' }, traits: { firstName: 'Grace' }, data: { plan: 'pro' }, journey: 'welcome' },
    };
    return email.sendEmail(input).catch((e: unknown) => e as Error & { nonRetryable?: boolean; type?: string });
  };

  test('451 (greylisted, try later): retried, and the address is masked', async () => {
    answer = { code: 451, message: '4.7.1 <ADDR>: Recipient address rejected: greylisted' };
    const err = (await send()) as Error & { nonRetryable?: boolean };
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toMatch(/will retry.*451/);
    expect(err.message).toContain('g…@navy.example');
    expect(err.message).not.toContain('grace.hopper.8812');
  });

  test('550 (no such user): permanent, so the next channel is tried; the address is masked', async () => {
    answer = { code: 550, message: '5.1.1 <ADDR>: Recipient address rejected: User unknown' };
    const err = (await send()) as Error & { nonRetryable?: boolean; type?: string };
    expect(err).toMatchObject({ nonRetryable: true, type: FailureTypes.PermanentDelivery });
    expect(err.message).toContain('SMTP refused the message to g…@navy.example');
    expect(err.message).not.toContain('grace.hopper.8812');
  });
});
