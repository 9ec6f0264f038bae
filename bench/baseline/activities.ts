// The baselines' activities: nodemailer straight to the sink (plain text, no templates), and a no-op.
import nodemailer from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface BaselineActivities {
  sendEmail(mail: Mail): Promise<string>;
  capture(what: string): Promise<string>;
}

export function createBaselineActivities(smtp: { host: string; port: number; from?: string }): BaselineActivities {
  // The same transport settings as the engine's worker (worker/activities.ts createSmtpTransport).
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  const from = smtp.from ?? 'Acme <hello@acme.test>';
  return {
    async sendEmail(mail) {
      const info = await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
      return info.messageId;
    },
    async capture(what) {
      return what;
    },
  };
}
