// One-click unsubscribe (RFC 8058). Marketing mails carry `List-Unsubscribe: <…/unsubscribe/<token>>` and
// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`: the mailbox provider POSTs `List-Unsubscribe=One-Click`
// there, and we revoke marketing email only (updateConsent {channel: 'email', topic: 'marketing'}, source
// 'one-click'), answering 200 without a redirect. A GET (a person clicking the link, or a mail scanner
// following it) only shows a page with a button that makes the same POST: nothing changes on a GET.
// Any valid link of the customer may do this (an `unsubscribe` link, a `preferences` one, one from before
// links had a scope), also one of an older link generation: revoking marketing email is all it can do, and a
// sent mail's unsubscribe link must keep working. A link from before an erase of the customer is ignored by
// the customer workflow created since (the signal carries the link's workflow incarnation). The page links to
// no preference centre: this token cannot open one.
import type { FastifyInstance } from 'fastify';
import { verifyPreferenceToken } from '../../preferences/token';
import { classifyFailure, type CustomerAccess } from '../customers';
import { sendPage, sendServiceProblem, sendTokenProblem } from '../html';
import { linkGuard } from '../links';

export interface UnsubscribeRoutesDeps {
  customers: CustomerAccess;
  preferencesSecret: string;
}

export const ONE_CLICK_SOURCE = 'one-click';

const PREFERENCES_HINT = 'use the “Email preferences” link in a recent email from us';

export async function unsubscribeRoutes(app: FastifyInstance, deps: UnsubscribeRoutesDeps): Promise<void> {
  // RFC 8058 posts `List-Unsubscribe=One-Click` form-encoded or as multipart/form-data. The signed token in
  // the URL is the whole request, so any body (of any type, up to 4 KB) is read and ignored.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 4096 }, (_request, _body, done) => done(null, undefined));
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendPage(
        reply,
        err.statusCode,
        'This request was not understood',
        '<h1>This request was not understood</h1>\n<p>Nothing was changed. Open the unsubscribe link from your email again.</p>',
      );
    }
    const failure = classifyFailure(err, request.method === 'POST');
    if (failure.status === 500) request.log.error({ err }, 'unsubscribe failed');
    return sendServiceProblem(reply, failure.status, failure.message);
  });

  app.get<{ Params: { token: string } }>('/unsubscribe/:token', async (request, reply) => {
    const verified = verifyPreferenceToken(deps.preferencesSecret, request.params.token);
    if (!verified.ok) return sendTokenProblem(reply, verified.reason);
    return sendPage(
      reply,
      200,
      'Unsubscribe from marketing emails',
      `<h1>Unsubscribe from marketing emails?</h1>
<p>You will no longer get offers, reminders and news by email. Receipts and account messages still come.</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>
<p class="note">Want fewer messages rather than none, or to change texts too? To choose what you get, ${PREFERENCES_HINT}.</p>`,
    );
  });

  app.post<{ Params: { token: string } }>('/unsubscribe/:token', async (request, reply) => {
    const verified = verifyPreferenceToken(deps.preferencesSecret, request.params.token);
    if (!verified.ok) return sendTokenProblem(reply, verified.reason);
    const link = linkGuard(verified, false);
    await deps.customers.changeConsent(verified.customerId, [
      { channel: 'email', topic: 'marketing', granted: false, source: ONE_CLICK_SOURCE, ...(link.incarnation ? { link } : {}) },
    ]);
    request.log.info({ customerId: verified.customerId }, 'one-click unsubscribe');
    return sendPage(
      reply,
      200,
      'You are unsubscribed',
      `<h1>You are unsubscribed</h1>
<div class="status" role="status"><p>We will not send you marketing emails any more. Receipts and account messages still come.</p></div>
<p class="note">Changed your mind, or want to change texts too? To choose what you get, ${PREFERENCES_HINT}. To stop texts, reply STOP to any of our texts.</p>`,
    );
  });
}
