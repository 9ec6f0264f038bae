// GET /preferences/:token shows the customer's channels and marketing choices as they take effect now;
// POST /preferences/:token (the page's form) applies the changes through the updateConsent signal, source
// 'preference-centre', and shows what is saved, read back from the customer workflow. The page's second form
// ("Forget my links") bumps the customer's link generation instead. The signed token (preferences/token.ts) is
// the only credential: it must have the `preferences` scope (an unsubscribe link gets a 403 before anything is
// looked up) and still be the customer's (410 for an older link generation, or a customer erased and created
// again). A GET never changes anything.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { consentChanges, effectiveChoices, type Choices } from '../../preferences/choices';
import { verifyPreferenceToken, type PreferenceTokenClaims } from '../../preferences/token';
import { applyConsent } from '../../domain/customerState';
import { classifyFailure, type CustomerAccess, type Profile } from '../customers';
import { field, addFormParser } from '../forms';
import { escapeHtml, sendPage, sendServiceProblem, sendTokenProblem } from '../html';
import { isCurrentLink, linkGuard, sendRevoked, sendUnsubscribeOnly } from '../links';

export interface PreferenceRoutesDeps {
  customers: CustomerAccess;
  preferencesSecret: string;
}

export const PREFERENCE_SOURCE = 'preference-centre';

function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at > 0 ? `${email[0]}•••${email.slice(at)}` : '•••';
}

const onOff = (on: boolean) => (on ? 'on' : 'off');

function checkbox(id: string, label: string, checked: boolean, hint: string): string {
  return `<div class="option">
  <input type="checkbox" id="${id}" name="${id}" value="on"${checked ? ' checked' : ''} aria-describedby="${id}-hint">
  <label for="${id}">${escapeHtml(label)}</label>
  <p class="hint" id="${id}-hint">${escapeHtml(hint)}</p>
</div>`;
}

export function renderPreferences(profile: Profile, saved: boolean): { title: string; body: string } {
  const c = effectiveChoices(profile.consent);
  const { email, phone } = profile.identities;
  const emailHint = `${email ? `To ${maskEmail(email)}. ` : 'We have no email address for you. '}Turning email off stops every email from us, receipts included.`;
  const smsHint = phone
    ? `To your number ending in ${phone.slice(-4)}. We text you only while this is on, receipts included.`
    : 'We have no mobile number for you, so we send no texts.';
  const title = saved ? 'Your preferences are saved' : 'Your message preferences';
  const status = saved
    ? `<div class="status" role="status">
<p><strong>Saved.</strong> This is what we will send you from now on:</p>
<ul>
  <li>Email: ${onOff(c.email)}</li>
  <li>Text messages (SMS): ${onOff(c.sms)}</li>
  <li>Marketing emails: ${onOff(c.marketingEmail)}</li>
  <li>Marketing texts: ${onOff(c.marketingSms)}</li>
</ul>
</div>`
    : '';
  const body = `<h1>${title}</h1>
${status}
<p>Choose how we may contact you, then save. You can come back to this page with the link in any of our emails.</p>
<form method="post">
<input type="hidden" name="form" value="preferences">
<fieldset>
<legend>How we may contact you</legend>
${checkbox('email', 'Email', c.email, emailHint)}
${checkbox('sms', 'Text messages (SMS)', c.sms, smsHint)}
</fieldset>
<fieldset>
<legend>Marketing: offers, reminders and news</legend>
${checkbox('marketing-email', 'Marketing emails', c.marketingEmail, 'Sent only while email is on.')}
${checkbox('marketing-sms', 'Marketing texts', c.marketingSms, 'Sent only while text messages are on.')}
</fieldset>
<h2>Receipts and account messages</h2>
<p>Transactional messages, such as receipts, order and delivery updates and security notices, are always sent on the channels you keep on. Your marketing choices do not affect them.</p>
<p class="note">You can also reply STOP to any of our texts to stop them, and START to get them again.</p>
<button type="submit">Save preferences</button>
</form>
${FORGET_LINKS_FORM}`;
  return { title, body };
}

/** The second form: revokes every preference link sent so far, this page's own included. */
const FORGET_LINKS_FORM = `<h2>Links in our emails</h2>
<p id="forget-links-hint">Anyone with a link from one of our emails can open this page, for example if you forwarded one. To turn off the preferences links in all the emails we have sent you, this one included, choose Forget my links. Each email we send you from now on has a new link.</p>
<form method="post">
<input type="hidden" name="form" value="forget-links">
<button type="submit" aria-describedby="forget-links-hint">Forget my links</button>
</form>`;

export function renderLinksForgotten(): { title: string; body: string } {
  const title = 'Your old links no longer work';
  const body = `<h1>${title}</h1>
<div class="status" role="status">
<p><strong>Done.</strong> The preferences links in the emails we have sent you, including the one you used to get here, no longer open this page.</p>
</div>
<p>Each email we send you from now on has a new link to your preferences.</p>
<p class="note">The Unsubscribe links in emails you already have still work: they can only stop our marketing emails. You can also reply STOP to any of our texts to stop them.</p>`;
  return { title, body };
}

function wantedFrom(form: unknown): Choices {
  const on = (name: string) => field(form, name) === 'on';
  return { email: on('email'), sms: on('sms'), marketingEmail: on('marketing-email'), marketingSms: on('marketing-sms') };
}

export async function preferenceRoutes(app: FastifyInstance, deps: PreferenceRoutesDeps): Promise<void> {
  addFormParser(app);
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendPage(
        reply,
        err.statusCode,
        'This request was not understood',
        '<h1>This request was not understood</h1>\n<p>Nothing was changed. Open the link from your email again and use the form on that page.</p>',
      );
    }
    const failure = classifyFailure(err, request.method === 'POST');
    if (failure.status === 500) request.log.error({ err }, 'preference centre failed');
    return sendServiceProblem(reply, failure.status, failure.message);
  });

  /** The claims of a valid preference link, or undefined once the refusal page is sent. Checked without
   *  Temporal: the signature, the expiry and the scope. */
  function claimsOf(request: FastifyRequest<{ Params: { token: string } }>, reply: FastifyReply): PreferenceTokenClaims | undefined {
    const verified = verifyPreferenceToken(deps.preferencesSecret, request.params.token);
    if (!verified.ok) return void sendTokenProblem(reply, verified.reason);
    if (verified.scope !== 'preferences') return void sendUnsubscribeOnly(reply, request.params.token);
    return verified;
  }

  app.get<{ Params: { token: string } }>('/preferences/:token', async (request, reply) => {
    const claims = claimsOf(request, reply);
    if (claims === undefined) return reply;
    const profile = await deps.customers.profile(claims.customerId);
    if (!isCurrentLink(profile, claims)) return sendRevoked(reply);
    const view = renderPreferences(profile, false);
    return sendPage(reply, 200, view.title, view.body);
  });

  app.post<{ Params: { token: string } }>('/preferences/:token', { bodyLimit: 4096 }, async (request, reply) => {
    const claims = claimsOf(request, reply);
    if (claims === undefined) return reply;
    const customerId = claims.customerId;
    const form = field(request.body, 'form');
    if (form !== 'preferences' && form !== 'forget-links') {
      return sendPage(
        reply,
        400,
        'Nothing was changed',
        '<h1>Nothing was changed</h1>\n<p>This address takes the form on the preferences page. Open the link from your email again and save your choices there.</p>',
      );
    }
    const before = await deps.customers.profile(customerId);
    if (!isCurrentLink(before, claims)) return sendRevoked(reply);
    // The customer workflow checks the link again when the signal arrives (a "Forget my links" in between).
    const link = linkGuard(claims, true);
    if (form === 'forget-links') {
      await deps.customers.forgetLinks(customerId, link);
      request.log.info({ customerId }, 'preference links forgotten');
      const view = renderLinksForgotten();
      return sendPage(reply, 200, view.title, view.body);
    }
    const changes = consentChanges(before.consent, wantedFrom(request.body), PREFERENCE_SOURCE);
    if (changes.length)
      await deps.customers.changeConsent(
        customerId,
        changes.map((change) => ({ ...change, link })),
      );
    // Read back from the workflow (it applies signals in order, before answering a later query). Should
    // that read fail after the changes were accepted, show them applied to what we read before.
    let after: Profile;
    try {
      after = await deps.customers.profile(customerId);
    } catch (err) {
      request.log.warn({ err }, 'could not read back the saved preferences; showing them as sent');
      after = structuredClone(before);
      for (const change of changes) applyConsent(after as Parameters<typeof applyConsent>[0], change, new Date());
    }
    request.log.info({ customerId, changes: changes.length }, 'preferences saved');
    const view = renderPreferences(after, true);
    return sendPage(reply, 200, view.title, view.body);
  });
}
