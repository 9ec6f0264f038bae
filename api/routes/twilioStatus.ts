// POST /webhooks/twilio/status: Twilio's status callbacks for the texts we send (activities/sms.ts sets
// StatusCallback to <PUBLIC_URL>/webhooks/twilio/status). Signed requests only. The customer is found by the
// PhoneLookup of `To` and gets a deliveryStatus signal {providerId: MessageSid, status, errorCode}, which the
// customer workflow records on the ledger entry with that providerId; error 21610 (the number replied STOP)
// also revokes SMS consent there. Statuses other than queued, sent, delivered, undelivered, failed and read
// (accepted, scheduled, sending, canceled…) are acknowledged and ignored.
import type { FastifyInstance } from 'fastify';
import type { DeliveryStatus } from '../../domain/messages';
import type { CustomerAccess } from '../customers';
import { field } from '../forms';
import { twiml, twilioWebhookScope, type TwilioWebhookDeps } from '../twilio';

export interface TwilioStatusDeps extends TwilioWebhookDeps {
  customers: CustomerAccess;
}

const RECORDED = new Set<string>(['queued', 'sent', 'delivered', 'undelivered', 'failed', 'read']);

export async function twilioStatusRoutes(app: FastifyInstance, deps: TwilioStatusDeps): Promise<void> {
  twilioWebhookScope(app, deps, 'Twilio status callback');

  app.post('/webhooks/twilio/status', async (request, reply) => {
    const sid = field(request.body, 'MessageSid') ?? field(request.body, 'SmsSid');
    const status = field(request.body, 'MessageStatus') ?? field(request.body, 'SmsStatus');
    const to = field(request.body, 'To');
    if (!sid || !status || !to) {
      return reply.code(400).header('content-type', 'text/plain; charset=utf-8').send('expected MessageSid, MessageStatus and To\n');
    }
    if (!RECORDED.has(status)) return twiml(reply);
    const errorCode = field(request.body, 'ErrorCode') || undefined;
    const customerIds = await deps.customers.findByPhone(to);
    request.log.info({ sid, status, errorCode, customers: customerIds.length }, 'Twilio status callback');
    const update: DeliveryStatus = { providerId: sid, status: status as DeliveryStatus['status'], ...(errorCode ? { errorCode } : {}) };
    await Promise.all(customerIds.map((id) => deps.customers.deliveryStatus(id, update)));
    return twiml(reply);
  });
}
