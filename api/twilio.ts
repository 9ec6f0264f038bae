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

/** The largest webhook body taken: Twilio's own are a few KB (a text is at most 1,600 characters). */
export const TWILIO_BODY_LIMIT = 64 * 1024;

/** Form parsing, the signature check (403 before anything else happens) and error answers for a Twilio route.
 *  Twilio posts application/x-www-form-urlencoded only: any other type (JSON included) is a 415 before the
 *  body is read, so nothing but a flat form ever reaches the signature check. */
export function twilioWebhookScope(app: FastifyInstance, deps: TwilioWebhookDeps, what: string): void {
  app.removeAllContentTypeParsers();
  addFormParser(app, TWILIO_BODY_LIMIT);
  app.addHook('preHandler', async (request, reply) => {
    if (!isSignedByTwilio(deps, request)) {
      request.log.warn({ url: request.url, from: field(request.body, 'From') ? 'present' : 'absent' }, `${what}: bad or missing X-Twilio-Signature`);
      return reply.code(403).header('content-type', 'text/plain; charset=utf-8').send('invalid X-Twilio-Signature\n');
    }
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : classifyFailure(err).status;
    if (status >= 500) request.log.error({ err }, `${what} failed`);
    if (status === 503) reply.header('retry-after', '5');
    // 404 here means the customer workflow is gone: nothing to do, and Twilio need not retry.
    if (status === 404) return twiml(reply);
    const text =
      err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? `rejected: Twilio webhooks take Content-Type application/x-www-form-urlencoded (as Twilio sends them), not ${request.headers['content-type'] ? JSON.stringify(request.headers['content-type'].slice(0, 100)) : 'a body without one'}`
        : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? `rejected: the body is over ${TWILIO_BODY_LIMIT / 1024} KB (Twilio's webhooks are a few KB)`
          : status === 503
            ? 'Temporal unavailable; retry'
            : status >= 500
              ? 'internal error'
              : `rejected: ${err.message}`;
    return reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(`${text}\n`);
  });
}
