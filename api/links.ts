// What a signed link (preferences/token.ts) may still do for the customer it names, and the pages for a link
// that may not: an unsubscribe link on the preference centre (403), a link the customer has since revoked
// with "Forget my links", or one from before an erase of the customer (410).
import type { FastifyReply } from 'fastify';
import type { PreferenceTokenClaims } from '../preferences/token';
import { linkStillValid, type LinkGuard } from '../domain/customerState';
import type { Profile } from './customers';
import { escapeHtml, sendPage } from './html';

/** What the customer workflow checks again when a change through this link arrives (the generation only when
 *  the change needs a current link: a preference link, not an unsubscribe). */
export function linkGuard(claims: PreferenceTokenClaims, checkGeneration: boolean): LinkGuard {
  return {
    ...(claims.incarnation !== undefined ? { incarnation: claims.incarnation } : {}),
    ...(checkGeneration ? { generation: claims.generation } : {}),
  };
}

/** Whether a preference link is still the customer's: the current generation and, when the token names one,
 *  the same customer workflow (not one started again after an erase). */
export function isCurrentLink(profile: Profile, claims: PreferenceTokenClaims): boolean {
  // A worker older than link generations answers without `links`: nothing can have been forgotten there.
  if (!profile.links) return claims.generation === 0;
  return linkStillValid(profile.links, linkGuard(claims, true));
}

const NOTE = '<p class="note">Nothing was changed. To stop text messages, you can also reply STOP to any of our texts.</p>';

/** An unsubscribe link (or one from a mail sent before links had a scope) on the preference centre. */
export function sendUnsubscribeOnly(reply: FastifyReply, token: string): FastifyReply {
  const title = 'This link can only unsubscribe you';
  return sendPage(
    reply,
    403,
    title,
    `<h1>${escapeHtml(title)}</h1>
<p>This is an unsubscribe link: it can stop our marketing emails, but it cannot show or change your settings. If you followed the “Email preferences” link of an older email: the links in older emails can only unsubscribe.</p>
<p><a href="${escapeHtml(`../unsubscribe/${encodeURIComponent(token)}`)}">Unsubscribe from marketing emails</a></p>
<p>To choose what we send you, use the “Email preferences” link in a recent email from us: every new email has one.</p>
${NOTE}`,
  );
}

/** A preference link of an older generation ("Forget my links"), or for a customer erased since. */
export function sendRevoked(reply: FastifyReply): FastifyReply {
  const title = 'This link no longer works';
  return sendPage(
    reply,
    410,
    title,
    `<h1>${escapeHtml(title)}</h1>
<p>This link was turned off, for example because “Forget my links” was chosen on the preferences page. It cannot open or change your settings any more.</p>
<p>To get a link that works, use the “Email preferences” link in an email we send you from now on: every new email carries new links. The Unsubscribe link in any of our emails still stops marketing emails.</p>
${NOTE}`,
  );
}
