// Keeps the customer workflow's PhoneLookup search attribute (an HMAC of the phone number, domain/lookup.ts)
// in step with the phone number, so the Twilio inbound webhook finds the customer of a `From` number.
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import { phoneLookupKey } from '../domain/lookup';
import { PHONE_LOOKUP } from '../domain/searchAttributes';
import type { CustomerContext } from './customerContext';

/** The upsert emits a command, so it runs behind the `phone-lookup` marker (asked for only when the number changed). */
export const PHONE_LOOKUP_PATCH = 'phone-lookup';

/** Returns the function the main loop calls on each turn: it upserts when the number differs from the last one
 *  this run upserted (so a run after continue-as-new upserts a customer's number once again). */
export function phoneLookupPublisher(ctx: CustomerContext): () => void {
  let published: string | undefined;
  return () => {
    const phone = ctx.state.identities.phone;
    if (phone === published || !patched(PHONE_LOOKUP_PATCH)) return;
    upsertSearchAttributes([{ key: PHONE_LOOKUP, value: phone ? phoneLookupKey(ctx.config.lookupSecret, phone) : null }]);
    published = phone;
  };
}
