// Signals, updates and queries of the two workflows, shared by clients, the UI docs and tests.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CustomerEvent, JourneyEvent, Properties, Channel, Topic } from '../sdk/events';
import type { SendResult } from '../sdk/journey';
import type { CustomerState, DeliveryRequest, JourneyRun, LedgerEntry, LinkGuard, LinkState } from './customerState';

// The workflow IDs (pure, in domain/workflowIds.ts), exported here with the signals and queries that go to them.
export { customerWorkflowId, journeyWorkflowId, legacyJourneyWorkflowId, workflowIdPart } from './workflowIds';

// Customer workflow
/** One track/identify event: the form senders used before `events` (below); still handled for their histories. */
export const eventSignal = defineSignal<[CustomerEvent]>('event');
/** One customer's events, in order, in one signal: what every sender uses (client/events.ts); a batch is one
 *  history event and one billable action instead of one per event. `event` is the older single-event form,
 *  still handled. Deploy workers that know `events` before the APIs that send it. */
export const eventsSignal = defineSignal<[CustomerEvent[]]>('events');
export const deliveryRequestSignal = defineSignal<[DeliveryRequest]>('deliveryRequest');
/** A run's end, from a run whose end the customer workflow does not see as its child's completion (started before
 *  `endSeenByParent`, or handed over by an earlier customer run). */
export const journeyEndedSignal = defineSignal<[{ workflowId: string; status: JourneyRun['status']; at: string }]>('journeyEnded');
export const updateTraitsSignal = defineSignal<[Properties]>('updateTraits');
export interface ConsentChange {
  channel?: Channel;
  topic?: Topic;
  granted: boolean;
  /** Who changed it, for the ledger of consent changes ('preference-centre', 'sms-stop', 'operator'…). */
  source?: string;
  /** The change came through a customer's link with these claims: it applies only while the link is still
   *  theirs (same generation and workflow incarnation, as far as given). Not kept in the consent history. */
  link?: LinkGuard;
}
/** Operator / preference centre: grant or revoke a channel, a topic, or a topic on one channel
 *  (both given: e.g. marketing email only, as a one-click unsubscribe does). */
export const updateConsentSignal = defineSignal<[ConsentChange]>('updateConsent');
/** Provider status callbacks (Twilio): what happened to a sent message after the provider took it. */
export interface DeliveryStatus {
  providerId: string;
  status: 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'read';
  errorCode?: string;
  at?: string;
}
export const deliveryStatusSignal = defineSignal<[DeliveryStatus]>('deliveryStatus');
/** To the customer workflow, from an operator: stop the customer's running journey run(s), by workflow ID or by
 *  journey name; the customer workflow sends each the journey workflow's journeyExitSignal. */
export const customerExitJourneySignal = defineSignal<[{ workflowId?: string; journey?: string; reason?: string }]>('exitJourney');
/** Operator: hold every message to this customer until resumed. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** The customer's "Forget my links" (preference centre): bumps the link generation, so the preference links
 *  in every mail sent so far stop working. `link` as in ConsentChange (a link already forgotten bumps nothing). */
export const forgetLinksSignal = defineSignal<[{ link?: LinkGuard; source?: string }]>('forgetLinks');

/** What the preference centre reads. `links` is missing from the answer of a worker older than link generations. */
export type CustomerProfile = Pick<CustomerState, 'customerId' | 'traits' | 'identities' | 'consent' | 'recentEvents' | 'paused'> & { links?: LinkState };
export const profileQuery = defineQuery<CustomerProfile>('profile');
export const stateQuery = defineQuery<CustomerState>('state');
export const journeysQuery = defineQuery<JourneyRun[]>('journeys');
export const ledgerQuery = defineQuery<LedgerEntry[]>('ledger');
/** Work in progress: events not yet routed, sends in flight, the next deferred send (`simulate` waits on it).
 *  Its name on the wire stays `activity`, which running workflows and saved histories answer to. */
export const workQuery = defineQuery<{ inbox: number; inFlight: number; nextDeferred?: string; deferred?: string[] }>('activity');

// Journey workflow
export const journeyEventSignal = defineSignal<[JourneyEvent]>('journeyEvent');
export const deliveryResultSignal = defineSignal<[{ id: string } & SendResult]>('deliveryResult');
/** To a journey workflow (from the customer workflow or an operator): end this run now; nothing further is sent. */
export const journeyExitSignal = defineSignal<[{ reason?: string }]>('exit');
/** From the customer workflow that started this run, before it continues as new: its next run will not see this
 *  run's completion, so signal `journeyEnded` at the end after all. */
export const journeyHandOverSignal = defineSignal<[]>('journeyHandOver');

export interface TimelineEntry {
  at: string;
  /** `ignored`: an event a `waitFor` with a schema skipped because its properties fail it (`detail` the event,
   *  `reason` the failing fields, `step` where the run was). */
  kind: 'entered' | 'step' | 'split' | 'message' | 'suppressed' | 'failed' | 'waiting' | 'ignored' | 'exited' | 'converted' | 'completed';
  step?: string;
  detail?: string;
  template?: string;
  channel?: Channel;
  reason?: string;
}
export interface JourneyStatus {
  journey: string;
  version: number;
  customerId: string;
  key?: string;
  step?: string;
  waitingFor?: string;
  /** Engine time of the next timer this run waits on (sleep, sleepUntil, waitFor's deadline). */
  wakeAt?: string;
  /** The delivery request this journey is waiting on (it may be deferred by the customer's quiet hours). */
  sending?: string;
  status: 'running' | 'completed' | 'exited' | 'converted';
  timeline: TimelineEntry[];
}
export const journeyStatusQuery = defineQuery<JourneyStatus>('status');
