// POST /webhooks/twilio/sms: texts customers send to our Twilio number ("A message comes in" webhook).
// Only requests signed by Twilio (X-Twilio-Signature) get past the check. The sender is found by the
// PhoneLookup search attribute (an HMAC of the number, domain/lookup.ts); a number we do not know gets an
// empty answer, the same as any other text, so the answer says nothing about who is a customer.
//   STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT → SMS consent revoked (source 'sms-stop'), no reply;
//   START, UNSTOP, YES                           → SMS consent granted (source 'sms-start'), no reply;
//   HELP, INFO                                   → a reply with the help text;
//   anything else → tracked as an `sms.received` event {messageSid, body} (messageId `twilio:<MessageSid>`,
//   so a retried webhook counts once) that journeys can trigger on or wait for; no reply.
// Keywords are the whole message, trimmed, in any case. Twilio's own opt-out handling (on by default for
// long codes) also blocks texts to a number that sent STOP and sends its own confirmations; we keep the
// customer's consent in step with it.
import type { FastifyInstance } from 'fastify';
import type { CustomerAccess } from '../customers';
import { field } from '../forms';
import { twiml, twilioWebhookScope, type TwilioWebhookDeps } from '../twilio';

export interface TwilioSmsDeps extends TwilioWebhookDeps {
  customers: CustomerAccess;
  helpText?: string;
}

export const DEFAULT_SMS_HELP_TEXT =
  'Reply STOP to stop our texts, START to get them again. To choose what we send you, use the preferences link in any of our emails.';

const KEYWORDS: Record<string, 'stop' | 'start' | 'help'> = {
  STOP: 'stop',
  STOPALL: 'stop',
  UNSUBSCRIBE: 'stop',
  CANCEL: 'stop',
  END: 'stop',
  QUIT: 'stop',
  START: 'start',
  UNSTOP: 'start',
  YES: 'start',
  HELP: 'help',
  INFO: 'help',
};

/** The keyword a text is, if the whole text (trimmed, any case) is one. */
export function smsKeyword(body: string): 'stop' | 'start' | 'help' | undefined {
  return Object.hasOwn(KEYWORDS, body.trim().toUpperCase()) ? KEYWORDS[body.trim().toUpperCase()] : undefined;
}

export async function twilioSmsRoutes(app: FastifyInstance, deps: TwilioSmsDeps): Promise<void> {
  twilioWebhookScope(app, deps, 'inbound SMS');

  app.post('/webhooks/twilio/sms', async (request, reply) => {
    const from = field(request.body, 'From');
    const text = field(request.body, 'Body') ?? '';
    const sid = field(request.body, 'MessageSid') ?? field(request.body, 'SmsSid');
    if (!from) return twiml(reply);
    const customerIds = await deps.customers.findByPhone(from);
    const keyword = smsKeyword(text);
    request.log.info({ customers: customerIds.length, keyword: keyword ?? null, sid }, 'inbound SMS');
    if (customerIds.length === 0) return twiml(reply);
    switch (keyword) {
      case 'stop':
      case 'start': {
        const change =
          keyword === 'stop'
            ? { channel: 'sms' as const, granted: false, source: 'sms-stop' }
            : { channel: 'sms' as const, granted: true, source: 'sms-start' };
        await Promise.all(customerIds.map((id) => deps.customers.changeConsent(id, [change])));
        return twiml(reply);
      }
      case 'help':
        return twiml(reply, deps.helpText ?? DEFAULT_SMS_HELP_TEXT);
      default:
        if (sid) {
          await Promise.all(
            customerIds.map((customerId) =>
              deps.customers.track({ customerId, name: 'sms.received', messageId: `twilio:${sid}`, properties: { messageSid: sid, body: text } }),
            ),
          );
        }
        return twiml(reply);
    }
  });
}
