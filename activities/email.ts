// Email over SMTP with nodemailer. The transport is injected: MailDev locally, any relay in production.
// Every mail gets signed preference-centre and unsubscribe links (template variable `links`, each token with
// its own scope); marketing mail also carries RFC 8058 one-click unsubscribe headers.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Transporter } from 'nodemailer';
import { preferenceLinks } from '../preferences/links';
import { activityLog } from './log';
import { emailAddressProblem } from '../sdk/emailAddress';
import { maskEmail, redact } from './redact';
import type { TemplateRenderer } from './templates';
import { FailureTypes, type DeliverInput, type DeliverOutput } from '../domain/delivery';

export interface EmailDeps {
  transport: Transporter;
  from: string;
  renderer: TemplateRenderer;
  /** Base URL of the public API (no trailing slash): /preferences/<token> and /unsubscribe/<token> live there. */
  publicUrl: string;
  /** Signs the tokens in those links (PREFERENCES_SECRET). */
  preferencesSecret: string;
}

/** The same idempotency key always yields the same Message-ID, so a retried send is recognisable downstream. */
export function messageIdFor(idempotencyKey: string, domain = 'omnijourney.local'): string {
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The inbox preview line: first in the body, hidden when the mail is opened (inside <body> of a full document). */
function withPreheader(html: string, preheader: string | undefined): string {
  if (!preheader) return html;
  const hidden = `<div style="display:none;max-height:0;overflow:hidden">${escapeHtml(preheader)}</div>`;
  const body = /<body\b[^>]*>/i.exec(html);
  if (!body) return hidden + html;
  const at = body.index + body[0].length;
  return html.slice(0, at) + hidden + html.slice(at);
}

/** 5xx answers are for good. nodemailer reports a refused recipient as EENVELOPE whatever the answer, so a
 *  4xx there (451 greylisting, 452 mailbox full: "try again later") is retried like any other 4xx. */
function isPermanentSmtpError(err: unknown): boolean {
  const code = (err as { responseCode?: number }).responseCode;
  const kind = (err as { code?: string }).code;
  if (typeof code === 'number') return code >= 500 && code < 600;
  return kind === 'EENVELOPE' || kind === 'EMESSAGE';
}

export function createEmailActivities({ transport, from, renderer, publicUrl, preferencesSecret }: EmailDeps) {
  return {
    async sendEmail(input: DeliverInput): Promise<DeliverOutput> {
      // The address comes from the customer's "email" trait. A list, a display name or a header break in it
      // would reach more people than the customer (each copy with their preference links): refuse it for good,
      // whenever it was stored. The workflow records `invalid-address` and tries the next channel, if any.
      const problem = emailAddressProblem(input.to);
      if (problem !== undefined) {
        throw ApplicationFailure.nonRetryable(
          `cannot mail customer "${input.customerId}": the "email" trait is not exactly one email address (${problem}); nothing was sent. Fix the trait with identify (one address, e.g. "ada@example.com").`,
          FailureTypes.InvalidAddress,
        );
      }
      const links = preferenceLinks(publicUrl, preferencesSecret, input.customerId, new Date(), input.links);
      const message = await renderer.render(input.template, 'email', { ...input.vars, links });
      if (message.warnings?.length) {
        activityLog().warn(`email template ${input.template} has MJML problems (sent anyway)`, { template: input.template, warnings: message.warnings });
      }
      const messageId = messageIdFor(input.idempotencyKey);
      const headers: Record<string, string> = {
        'X-Omnijourney-Journey': input.journey,
        'X-Omnijourney-Template': input.template,
      };
      if (input.topic === 'marketing') {
        // RFC 8058: mail clients show an unsubscribe button and POST "List-Unsubscribe=One-Click" to the URL.
        headers['List-Unsubscribe'] = `<${links.unsubscribe}>`;
        headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
      }
      try {
        const info = await transport.sendMail({
          from,
          // One structured address and an explicit envelope: nodemailer does not parse either as an address
          // list, so the header's To and the SMTP RCPT TO are this one address.
          to: { name: '', address: input.to },
          envelope: { from, to: [{ name: '', address: input.to }] },
          subject: message.subject ?? input.template,
          html: withPreheader(message.html ?? '', message.preheader),
          text: message.text,
          messageId,
          headers,
        });
        return { providerId: info.messageId ?? messageId, subject: message.subject };
      } catch (err) {
        // The message goes to logs, Temporal's history and the ledger: the address is masked, also where the
        // server's answer echoes it ("<ada@…>: Recipient address rejected").
        const reason = redact((err as Error).message ?? String(err));
        if (isPermanentSmtpError(err)) {
          throw ApplicationFailure.nonRetryable(`SMTP refused the message to ${maskEmail(input.to)}: ${reason}`, FailureTypes.PermanentDelivery);
        }
        // Connection refused, timeouts, 4xx: Temporal retries with back-off.
        throw ApplicationFailure.retryable(`SMTP did not take the message to ${maskEmail(input.to)} (will retry): ${reason}`, 'SmtpUnavailable');
      }
    },
  };
}
