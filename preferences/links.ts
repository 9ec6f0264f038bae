// The links every mail carries: the customer's signed preference-centre and one-click unsubscribe URLs. Built
// by the email activity for each mail, and by the CLI for an operator who hands a customer their link.
import type { DeliverInput } from '../domain/delivery';
import { signPreferenceToken } from './token';

export interface PreferenceLinks {
  preferences: string;
  unsubscribe: string;
}

/** The customer's signed preference-centre and one-click unsubscribe links (valid 60 days), each with its own
 *  scope: the unsubscribe link (also in List-Unsubscribe, which providers and scanners fetch) can only revoke.
 *  Both carry the customer's link generation and workflow incarnation (`links`, from the customer workflow).
 *  Without them (a send scheduled before link generations) both links are unsubscribe links, as in mails sent
 *  before scopes: a preference link that names no workflow would still open after an erase. */
export function preferenceLinks(publicUrl: string, secret: string, customerId: string, now = new Date(), links?: DeliverInput['links']): PreferenceLinks {
  const sign = (scope: 'preferences' | 'unsubscribe') =>
    signPreferenceToken(secret, { customerId, scope, generation: links?.generation, incarnation: links?.incarnation }, now);
  const base = publicUrl.replace(/\/+$/, '');
  return { preferences: `${base}/preferences/${sign(links ? 'preferences' : 'unsubscribe')}`, unsubscribe: `${base}/unsubscribe/${sign('unsubscribe')}` };
}
