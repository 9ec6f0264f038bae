// A real SMTP server for tests: receives real mail over TCP and parses it with mailparser.
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { createDeliveryActivities } from '../activities/delivery';
import { createEmailActivities } from '../activities/email';
import type { DeliveryActivities } from '../domain/delivery';
import { createRenderer } from '../worker/activities';

export interface SmtpSink {
  port: number;
  mails: ParsedMail[];
  /** The mails whose single To address is `address`, in arrival order. */
  mailsTo(address: string): ParsedMail[];
  /** The SMTP envelope a mail came with: RCPT TO is who got it, whatever its headers say (Bcc is not a header). */
  envelope(mail: ParsedMail): { from?: string; to: string[] } | undefined;
  /** When the server answered 250 for this mail (ms since the epoch): from then on the message is the server's. */
  acceptedAt(mail: ParsedMail): number | undefined;
  waitFor(predicate: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  waitForCount(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/** How many mails each recipient got. */
export function perRecipient(mails: ParsedMail[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of mails) counts.set(String(recipient(m)), (counts.get(String(recipient(m))) ?? 0) + 1);
  return counts;
}

/** The To address of a mail sent to one recipient (undefined otherwise). */
export function recipient(mail: ParsedMail): string | undefined {
  return mail.to && !Array.isArray(mail.to) ? mail.to.text : undefined;
}

export interface SmtpSinkOptions {
  /** Delay before the server accepts each message (a slow relay), so sends are in flight for a while. */
  acceptDelayMs?: number;
  /** Refuses a recipient (RCPT TO) with this SMTP answer, e.g. 451 (try later) or 550 (no such user). */
  rejectRecipient?: (address: string) => { code: number; message: string } | undefined;
}

export async function startSmtpSink(port = 0, options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  const envelopes = new Map<ParsedMail, { from?: string; to: string[] }>();
  const accepted = new Map<ParsedMail, number>();
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const refusal = options.rejectRecipient?.(address.address);
      if (!refusal) return callback();
      return callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onData(stream, session, callback) {
      const { mailFrom, rcptTo } = session.envelope;
      const envelope = { from: mailFrom ? mailFrom.address : undefined, to: rcptTo.map((r) => r.address) };
      simpleParser(stream)
        .then(async (mail) => {
          if (options.acceptDelayMs) await new Promise((r) => setTimeout(r, options.acceptDelayMs));
          envelopes.set(mail, envelope);
          mails.push(mail);
          accepted.set(mail, Date.now());
          waiters.splice(0).forEach((w) => w());
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.server.address() as AddressInfo).port;
  const waitUntil = <T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const v = get();
        if (v !== undefined) {
          clearTimeout(timer);
          resolve(v);
          return true;
        }
        return false;
      };
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${mails.length} mail(s): ${mails.map((m) => m.subject).join(' | ')}`)),
        timeoutMs,
      );
      const loop = (): void => {
        if (!check()) waiters.push(loop);
      };
      loop();
    });
  return {
    port: actualPort,
    mails,
    mailsTo: (address) => mails.filter((m) => recipient(m) === address),
    envelope: (mail) => envelopes.get(mail),
    acceptedAt: (mail) => accepted.get(mail),
    waitFor: (predicate, timeoutMs = 30_000) => waitUntil(() => mails.find(predicate), timeoutMs, 'a matching mail'),
    waitForCount: (count, timeoutMs = 30_000) => waitUntil(() => (mails.length >= count ? mails.slice() : undefined), timeoutMs, `${count} mails`),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What the test activities put in preference and unsubscribe links (verify tokens with this secret). */
export const TEST_PUBLIC_URL = 'https://journeys.acme.test';
export const TEST_PREFERENCES_SECRET = 'test-preferences-secret-0123456789';

/** The real delivery activities (email only), sending through nodemailer to this sink. */
export function emailActivitiesFor(sink: SmtpSink, from = 'Acme <hello@acme.test>'): DeliveryActivities {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
  const email = createEmailActivities({ transport, from, renderer: createRenderer(), publicUrl: TEST_PUBLIC_URL, preferencesSecret: TEST_PREFERENCES_SECRET });
  return createDeliveryActivities({ email: email.sendEmail });
}
