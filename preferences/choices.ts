// The preference centre's four choices, read from a customer's consent with the delivery policy's own rule
// (domain/deliveryPolicy.ts channelConsented: email is opt-out, SMS opt-in, a channel:topic pair beats
// the topic), and the consent changes that make the stored consent say what the customer chose.
import type { Channel } from '../sdk/events';
import type { CustomerState } from '../domain/customerState';
import { channelConsented } from '../domain/deliveryPolicy';
import type { ConsentChange } from '../domain/messages';

export type Consent = CustomerState['consent'];

export interface Choices {
  /** Any email at all (receipts included). */
  email: boolean;
  /** Any text message at all (receipts included). */
  sms: boolean;
  /** Marketing by email: what a marketing email send would be allowed now. */
  marketingEmail: boolean;
  marketingSms: boolean;
}

export const CHANNELS: ReadonlyArray<{ channel: Channel; key: 'email' | 'sms'; marketing: 'marketingEmail' | 'marketingSms'; channelDefault: boolean }> = [
  { channel: 'email', key: 'email', marketing: 'marketingEmail', channelDefault: true },
  { channel: 'sms', key: 'sms', marketing: 'marketingSms', channelDefault: false },
];

/** What the engine would do now: a transactional send needs the channel, a marketing send also the topic. */
export function effectiveChoices(consent: Consent): Choices {
  // channelConsented reads only `consent`.
  const state = { consent } as CustomerState;
  return {
    email: channelConsented(state, 'email', 'transactional'),
    sms: channelConsented(state, 'sms', 'transactional'),
    marketingEmail: channelConsented(state, 'email', 'marketing'),
    marketingSms: channelConsented(state, 'sms', 'marketing'),
  };
}

/** The marketing setting of one channel, apart from the channel itself (pair, else topic, else on). */
function storedMarketing(consent: Consent, channel: Channel): boolean {
  return consent.pairs?.[`${channel}:marketing`] ?? consent.topics.marketing ?? true;
}

/**
 * The fewest consent changes after which the engine does what the customer chose. A channel is written
 * when its effective value differs. Marketing on a channel (a `channel:marketing` pair) is written when its
 * stored value differs and either the customer changed the box or the channel will be on: so turning SMS
 * on with "marketing texts" unticked gives SMS receipts only, while an untouched box of a channel that
 * stays off writes nothing.
 */
export function consentChanges(consent: Consent, wanted: Choices, source: string): ConsentChange[] {
  const now = effectiveChoices(consent);
  const changes: ConsentChange[] = [];
  for (const c of CHANNELS) {
    if ((consent.channels[c.channel] ?? c.channelDefault) !== wanted[c.key]) changes.push({ channel: c.channel, granted: wanted[c.key], source });
  }
  for (const c of CHANNELS) {
    const changedByCustomer = wanted[c.marketing] !== now[c.marketing];
    if (storedMarketing(consent, c.channel) !== wanted[c.marketing] && (changedByCustomer || wanted[c.key])) {
      changes.push({ channel: c.channel, topic: 'marketing', granted: wanted[c.marketing], source });
    }
  }
  return changes;
}
