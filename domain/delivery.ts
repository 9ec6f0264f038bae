// The contract between workflows and activities (workflows import these types only).
import type { Channel, Properties, Topic } from '../sdk/events';

export interface DeliverInput {
  /** `<journeyWorkflowId>/<entry>.<sequence>`: the same key on every retry. */
  idempotencyKey: string;
  customerId: string;
  journey: string;
  channel: Channel;
  to: string;
  template: string;
  topic: Topic;
  /** Template variables: traits, the journey's data, customer id. */
  vars: { customer: { id: string }; traits: Properties; data: Properties; journey: string };
  /** The customer's links now (link generation, the customer workflow's first run ID): what email signs the
   *  preference and unsubscribe links with. Missing from sends scheduled before link generations. */
  links?: { generation: number; incarnation: string };
}

export interface DeliverOutput {
  providerId: string;
  subject?: string;
}

export interface DeliveryActivities {
  deliver(input: DeliverInput): Promise<DeliverOutput>;
}

/** Failure types (ApplicationFailure.type) the workflows act on. */
export const FailureTypes = {
  /** The provider refused for good (bad address, template missing): do not retry, try the fallback channel. */
  PermanentDelivery: 'PermanentDeliveryFailure',
  /** The recipient unsubscribed at the provider (e.g. Twilio 21610): revoke consent. */
  RecipientUnsubscribed: 'RecipientUnsubscribed',
  TemplateNotFound: 'TemplateNotFound',
  UnknownJourney: 'UnknownJourney',
  /** The customer's address is not exactly one valid address (an email trait holding a list, a name or a header
   *  break): do not retry, try the fallback channel. Also the ledger's `reason`, so it reads as one. */
  InvalidAddress: 'invalid-address',
  /** A journey's `j.waitFor` names an event its `waits` leaves out (domain/journeyContext.ts): a bug in the journey. */
  UndeclaredWait: 'undeclared-wait',
} as const;
