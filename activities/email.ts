// Email over SMTP with nodemailer. The transport is injected: MailDev locally, any relay in production.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Transporter } from 'nodemailer';
import type { TemplateRenderer } from './templates';
import { FailureTypes, type DeliverInput, type DeliverOutput } from './types';

export interface EmailDeps {
  transport: Transporter;
  from: string;
  renderer: TemplateRenderer;
}

/** The same idempotency key always yields the same Message-ID, so a retried send is recognisable downstream. */
export function messageIdFor(idempotencyKey: string, domain = 'omnijourney.local'): string {
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function isPermanentSmtpError(err: unknown): boolean {
  const code = (err as { responseCode?: number }).responseCode;
  const kind = (err as { code?: string }).code;
  return (typeof code === 'number' && code >= 500 && code < 600) || kind === 'EENVELOPE' || kind === 'EMESSAGE';
}

export function createEmailActivities({ transport, from, renderer }: EmailDeps) {
  return {
    async sendEmail(input: DeliverInput): Promise<DeliverOutput> {
      const message = await renderer.render(input.template, 'email', input.vars);
      const messageId = messageIdFor(input.idempotencyKey);
      try {
        const info = await transport.sendMail({
          from,
          to: input.to,
          subject: message.subject ?? input.template,
          // The preheader is the inbox preview line: first in the body, hidden when the mail is opened.
          html: message.preheader ? `<div style="display:none;max-height:0;overflow:hidden">${escapeHtml(message.preheader)}</div>${message.html}` : message.html,
          text: message.text,
          messageId,
          headers: {
            'X-Omnijourney-Journey': input.journey,
            'X-Omnijourney-Template': input.template,
          },
        });
        return { providerId: info.messageId ?? messageId, subject: message.subject };
      } catch (err) {
        if (isPermanentSmtpError(err)) {
          throw ApplicationFailure.nonRetryable(`SMTP refused the message to ${input.to}: ${(err as Error).message}`, FailureTypes.PermanentDelivery);
        }
        throw err; // connection refused, timeouts, 4xx: Temporal retries with back-off
      }
    },
  };
}
