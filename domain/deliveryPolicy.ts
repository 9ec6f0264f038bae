// The delivery pipeline's decisions, as pure functions of the customer's state and the clock.
// The customer workflow is the only caller, so two journeys can never both take the last slot.
import type { Channel, Topic } from '../sdk/events';
import { toLocal, nextLocalTime, parseClock } from '../sdk/timezone';
import { ownedAmong, type CustomerState, type DeliveryRequest, type LedgerEntry } from './customerState';

export interface DeliveryPolicyConfig {
  /** Marketing messages per customer, across all journeys and channels; `channels` adds a cap per channel. */
  caps: { perDay: number; perWeek: number; channels?: Partial<Record<Channel, { perDay?: number; perWeek?: number }>> };
  quietHours: { start: string; end: string } | null;
}

export const DEFAULT_POLICY: DeliveryPolicyConfig = {
  caps: { perDay: 2, perWeek: 5 },
  quietHours: { start: '21:00', end: '08:00' },
};

/** Why a message is not sent. `journey-ended`: its run ended while the message was held (workflows/delivery.ts), not decided here. */
export type SuppressionReason = 'no-consent' | 'no-address' | 'frequency-cap' | 'already-owned' | 'journey-ended';

export type Decision =
  | { kind: 'send'; channel: Channel; to: string }
  | { kind: 'defer'; until: Date; reason: 'quiet-hours' | 'paused' }
  | { kind: 'suppress'; reason: SuppressionReason; detail: string };

const DAY = 86_400_000;

/** Internal channels (webhook, Slack) reach the team, not the customer: no consent, caps or quiet hours. */
export function isInternalChannel(channel: Channel): boolean {
  return channel === 'webhook' || channel === 'slack';
}

export function channelConsented(state: CustomerState, channel: Channel, topic: Topic): boolean {
  if (isInternalChannel(channel)) return true;
  // SMS needs an explicit opt-in (TCPA); email is opt-out.
  const channelDefault = channel === 'sms' ? false : true;
  const channelOk = state.consent.channels[channel] ?? channelDefault;
  if (!channelOk) return false;
  if (topic === 'transactional') return true;
  const pair = state.consent.pairs?.[`${channel}:${topic}`];
  if (pair !== undefined) return pair;
  return state.consent.topics[topic] ?? true;
}

export function addressFor(state: CustomerState, channel: Channel): string | undefined {
  if (channel === 'email') return state.identities.email;
  if (channel === 'sms') return state.identities.phone;
  return channel; // webhook and Slack targets come from configuration
}

function countsAgainstCap(e: LedgerEntry): boolean {
  return e.topic === 'marketing' && (e.status === 'sent' || e.status === 'sending') && !isInternalChannel(e.channel ?? 'email');
}

export function capUsage(ledger: LedgerEntry[], now: Date, channel?: Channel): { day: number; week: number } {
  const t = now.getTime();
  let day = 0;
  let week = 0;
  for (const e of ledger) {
    if (!countsAgainstCap(e) || (channel && e.channel !== channel)) continue;
    const age = t - Date.parse(e.at);
    if (age < DAY) day += 1;
    if (age < 7 * DAY) week += 1;
  }
  return { day, week };
}

/** When `now` falls inside quiet hours in `tz`, the instant they end; otherwise null. */
export function quietHoursEnd(now: Date, tz: string, quiet: { start: string; end: string }): Date | null {
  const l = toLocal(now, tz);
  const minute = l.hour * 60 + l.minute;
  const s = parseClock(quiet.start);
  const e = parseClock(quiet.end);
  const start = s.hour * 60 + s.minute;
  const end = e.hour * 60 + e.minute;
  const inside = start <= end ? minute >= start && minute < end : minute >= start || minute < end;
  return inside ? nextLocalTime(now, quiet.end, tz) : null;
}

/** The SKUs a marketing request offers that the customer owns now (the send is suppressed `already-owned`);
 *  none for a transactional one. testJourney decides by it too. */
export function alreadyOwned(state: CustomerState, req: Pick<DeliveryRequest, 'topic' | 'offers'>): string[] {
  return req.topic === 'marketing' ? ownedAmong(state, req.offers) : [];
}

export function decide(state: CustomerState, req: DeliveryRequest, now: Date, config: DeliveryPolicyConfig, skip: Channel[] = []): Decision {
  const internalOnly = req.channels.every(isInternalChannel);
  if (state.paused && !internalOnly) return { kind: 'defer', until: new Date(now.getTime() + DAY), reason: 'paused' };
  const owned = alreadyOwned(state, req);
  if (owned.length) return { kind: 'suppress', reason: 'already-owned', detail: `the customer already owns ${owned.join(', ')}` };

  let firstProblem: { reason: SuppressionReason; detail: string } | null = null;
  let chosen: { channel: Channel; to: string } | null = null;
  for (const channel of req.channels) {
    if (skip.includes(channel)) continue;
    if (!channelConsented(state, channel, req.topic)) {
      firstProblem ??= { reason: 'no-consent', detail: `no ${req.topic} consent for ${channel}` };
      continue;
    }
    const to = addressFor(state, channel);
    if (!to) {
      firstProblem ??= { reason: 'no-address', detail: `no ${channel === 'sms' ? 'phone number' : 'email address'} on the profile` };
      continue;
    }
    chosen = { channel, to };
    break;
  }
  if (!chosen) return { kind: 'suppress', ...(firstProblem ?? { reason: 'no-address', detail: 'no channel left to try' }) };

  const external = !isInternalChannel(chosen.channel);
  if (external && config.quietHours && !(req.topic === 'transactional' && req.urgent)) {
    const end = quietHoursEnd(now, state.identities.timezone, config.quietHours);
    if (end) return { kind: 'defer', until: end, reason: 'quiet-hours' };
  }
  if (external && req.topic === 'marketing') {
    const used = capUsage(state.ledger, now);
    if (used.day >= config.caps.perDay) {
      return { kind: 'suppress', reason: 'frequency-cap', detail: `${used.day} marketing messages in the last 24 h (cap ${config.caps.perDay})` };
    }
    if (used.week >= config.caps.perWeek) {
      return { kind: 'suppress', reason: 'frequency-cap', detail: `${used.week} marketing messages in the last 7 days (cap ${config.caps.perWeek})` };
    }
    const own = config.caps.channels?.[chosen.channel];
    if (own) {
      const mine = capUsage(state.ledger, now, chosen.channel);
      if (own.perDay !== undefined && mine.day >= own.perDay) {
        return {
          kind: 'suppress',
          reason: 'frequency-cap',
          detail: `${mine.day} marketing ${chosen.channel} messages in the last 24 h (${chosen.channel} cap ${own.perDay})`,
        };
      }
      if (own.perWeek !== undefined && mine.week >= own.perWeek) {
        return {
          kind: 'suppress',
          reason: 'frequency-cap',
          detail: `${mine.week} marketing ${chosen.channel} messages in the last 7 days (${chosen.channel} cap ${own.perWeek})`,
        };
      }
    }
  }
  return { kind: 'send', ...chosen };
}
