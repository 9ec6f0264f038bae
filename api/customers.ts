// What the customer-facing routes (preference centre, unsubscribe, Twilio webhooks) do to Temporal, each
// call bounded by the API's Temporal deadline: read a profile, change consent, report a delivery status,
// find the customers of a phone number, track an event. Errors keep their cause so routes can answer
// 404 (no such customer), 503 (Temporal unreachable, try again) or 500.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sendEvent } from '../client/events';
import type { Config } from '../config/config';
import type { CustomerEvent } from '../sdk/events';
import type { EngineConfig } from '../domain/engineConfig';
import { phoneLookupKey } from '../domain/lookup';
import type { LinkGuard } from '../domain/customerState';
import {
  customerWorkflowId,
  deliveryStatusSignal,
  forgetLinksSignal,
  profileQuery,
  updateConsentSignal,
  type ConsentChange,
  type CustomerProfile,
  type DeliveryStatus,
} from '../domain/messages';
import { withDeadline } from '../client/deadline';
import { isTransient } from './deliver';

/** Settings of the customer-facing routes. */
export interface CustomersConfig {
  /** PUBLIC_URL without a trailing slash: what Twilio signs is this plus the request path. */
  publicUrl: string;
  /** PREFERENCES_SECRET: verifies the tokens in /preferences/<token> and /unsubscribe/<token>. */
  preferencesSecret: string;
  /** TWILIO_AUTH_TOKEN: verifies X-Twilio-Signature. */
  twilioAuthToken: string;
  /** PHONE_LOOKUP_SECRET: the PhoneLookup search attribute is HMAC(lookupSecret, phone). */
  lookupSecret: string;
  /** Reply to HELP/INFO texts. */
  smsHelpText?: string;
}

export function customersConfig(config: Config): CustomersConfig {
  return {
    publicUrl: config.publicUrl,
    preferencesSecret: config.channels.preferencesSecret,
    twilioAuthToken: config.channels.sms.authToken,
    lookupSecret: config.engine.lookupSecret,
  };
}

export type Profile = CustomerProfile;

export interface CustomerAccess {
  profile(customerId: string): Promise<Profile>;
  /** Signals the changes one after another: the workflow applies them in this order. */
  changeConsent(customerId: string, changes: ConsentChange[]): Promise<void>;
  /** "Forget my links": the customer workflow bumps its link generation (if `link` is still valid). */
  forgetLinks(customerId: string, link: LinkGuard): Promise<void>;
  deliveryStatus(customerId: string, status: DeliveryStatus): Promise<void>;
  /** Customer IDs whose running customer workflow has this phone number (PhoneLookup search attribute). */
  findByPhone(phone: string): Promise<string[]>;
  track(event: Omit<CustomerEvent, 'type' | 'traits' | 'context'>): Promise<void>;
}

export interface CustomerAccessOptions {
  client: Client;
  taskQueue: string;
  engine?: Partial<EngineConfig>;
  lookupSecret: string;
  timeoutMs: number;
}

/** At most this many customers share one phone number for inbound SMS routing. */
const MAX_PER_PHONE = 20;

export function createCustomerAccess(o: CustomerAccessOptions): CustomerAccess {
  const bounded = <T>(fn: () => Promise<T>): Promise<T> => withDeadline(o.client, Date.now() + o.timeoutMs, fn);
  const handle = (customerId: string) => o.client.workflow.getHandle(customerWorkflowId(customerId));
  return {
    profile: (customerId) => bounded(() => handle(customerId).query(profileQuery)),
    changeConsent: (customerId, changes) =>
      bounded(async () => {
        for (const change of changes) await handle(customerId).signal(updateConsentSignal, change);
      }),
    forgetLinks: (customerId, link) => bounded(() => handle(customerId).signal(forgetLinksSignal, { link, source: 'preference-centre' })),
    deliveryStatus: (customerId, status) => bounded(() => handle(customerId).signal(deliveryStatusSignal, status)),
    findByPhone: (phone) =>
      bounded(async () => {
        // The key is hex, so it cannot break out of the quotes.
        const query = `PhoneLookup = "${phoneLookupKey(o.lookupSecret, phone)}" AND ExecutionStatus = "Running"`;
        const ids: string[] = [];
        for await (const w of o.client.workflow.list({ query, pageSize: MAX_PER_PHONE })) {
          if (w.workflowId.startsWith('customer:')) ids.push(w.workflowId.slice('customer:'.length));
          if (ids.length >= MAX_PER_PHONE) break;
        }
        return ids;
      }),
    track: (event) =>
      bounded(async () => {
        await sendEvent(o.client, { ...event, type: 'track', traits: {}, context: {} }, { taskQueue: o.taskQueue, engine: o.engine });
      }),
  };
}

/** How a route should answer a failed Temporal call; `saving` for a request that changes something. */
export function classifyFailure(err: unknown, saving = false): { status: 404 | 503 | 500; message: string } {
  if (err instanceof WorkflowNotFoundError) {
    return {
      status: 404,
      message:
        'We could not find the settings this link belongs to, so nothing was changed. If you still get messages from us, use the link in the most recent one.',
    };
  }
  // A signal that missed the deadline may still arrive later: do not promise that nothing changed.
  const outcome = saving ? 'Your choice may not have been saved' : 'We could not load your settings';
  if (isTransient(err)) {
    return { status: 503, message: `We could not reach our systems just now. ${outcome}: please try again in a few minutes.` };
  }
  return { status: 500, message: `Something went wrong on our side. ${outcome}: please try again later.` };
}
