// Shared by the two Twilio webhooks (api/routes/twilioSms.ts, twilioStatus.ts): the form parser, the
// X-Twilio-Signature check, TwiML answers and errors in a shape Twilio logs.
//
// Twilio signs HMAC-SHA1(auth token, the URL it requested + every POST field sorted by name), base64. The URL
// is the one configured in Twilio, so it is rebuilt from PUBLIC_URL and the path (with query string) of the
// request: a proxy in front may change the host, scheme or port, never the signature.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { classifyFailure } from './customers';
import { addFormParser, field, type FormBody } from './forms';

export interface TwilioWebhookDeps {
  /** TWILIO_AUTH_TOKEN. */
  authToken: string;
  /** PUBLIC_URL, without a trailing slash. */
  publicUrl: string;
}

/** The URL Twilio signed for this request. */
export function signedUrl(publicUrl: string, request: FastifyRequest): string {
  return `${publicUrl.replace(/\/+$/, '')}${request.url}`;
}

export function isSignedByTwilio(deps: TwilioWebhookDeps, request: FastifyRequest): boolean {
  const signature = request.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || !signature) return false;
  const params = (request.body && typeof request.body === 'object' ? request.body : {}) as FormBody;
  return twilio.validateRequest(deps.authToken, signature, signedUrl(deps.publicUrl, request), params);
}

/** A TwiML answer: no reply, or one text message back. */
export function twiml(reply: FastifyReply, message?: string): FastifyReply {
  const response = new twilio.twiml.MessagingResponse();
  if (message) response.message(message);
  return reply.code(200).header('content-type', 'text/xml; charset=utf-8').send(response.toString());
}

/** Form parsing, the signature check (403 before anything else happens) and error answers for a Twilio route. */
export function twilioWebhookScope(app: FastifyInstance, deps: TwilioWebhookDeps, what: string): void {
  addFormParser(app, 64 * 1024);
  app.addHook('preHandler', async (request, reply) => {
    if (!isSignedByTwilio(deps, request)) {
      request.log.warn({ url: request.url, from: field(request.body, 'From') ? 'present' : 'absent' }, `${what}: bad or missing X-Twilio-Signature`);
      return reply.code(403).header('content-type', 'text/plain; charset=utf-8').send('invalid X-Twilio-Signature\n');
    }
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : classifyFailure(err).status;
    if (status >= 500) request.log.error({ err }, `${what} failed`);
    if (status === 503) reply.header('retry-after', '5');
    // 404 here means the customer workflow is gone: nothing to do, and Twilio need not retry.
    if (status === 404) return twiml(reply);
    return reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(status === 503 ? 'Temporal unavailable; retry\n' : status >= 500 ? 'internal error\n' : `rejected: ${err.message}\n`);
  });
}
