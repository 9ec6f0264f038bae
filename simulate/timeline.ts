// Turns what the engine recorded into the `simulate` timeline: one row per thing a marketer cares about, in
// simulated-time order. The runs' rows (entries, steps, splits, endings) and the routing decisions (not
// entered, rejected, late conversions) come from the facts the workflows record (domain/facts.ts), every run
// of a journey included; messages come from the customer's delivery ledger, which knows the address and subject.
import { toMs } from '../sdk/duration';
import type { AnyJourney } from '../sdk/journey';
import type { CustomerState } from '../domain/customerState';
import type { Fact } from '../domain/facts';

export const TIMELINE_KINDS = [
  'entered',
  'not-entered',
  'rejected',
  'step',
  'split',
  'message',
  'suppressed',
  'deferred',
  'converted',
  'failed',
  'exited',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineRow {
  at: string;
  kind: TimelineKind;
  journey: string;
  customerId: string;
  key?: string;
  /** entered: the trigger event; not-entered, rejected: the event that did not start a run. */
  event?: string;
  step?: string;
  split?: string;
  arm?: string;
  channel?: string;
  template?: string;
  topic?: string;
  to?: string;
  subject?: string;
  reason?: string;
  /** deferred: when the message is tried again; not-entered with reason `cooldown`: when the cool-down ends. */
  until?: string;
  /** converted: `after-end` when the goal event came after the run ended (within the goal's `within`). */
  attributed?: 'after-end';
}

export interface FinalRow {
  kind: 'final';
  customerId: string;
  traits: Record<string, unknown>;
  consent: CustomerState['consent'];
  journeys: Array<{ journey: string; key?: string; status: string }>;
}

/** The rows of one fact; delivery and provider facts are left to the ledger. */
function rowOf(f: Fact, customerId: string, cooldownUntil: (f: Fact) => string | undefined): TimelineRow | undefined {
  const base = { at: f.at, journey: f.journey, customerId, ...(f.key !== undefined ? { key: f.key } : {}) };
  switch (f.kind) {
    case 'entered':
      return { ...base, kind: 'entered', ...(f.detail ? { event: f.detail } : {}) };
    case 'step':
      return { ...base, kind: 'step', step: f.step };
    case 'split':
      return { ...base, kind: 'split', split: f.split, arm: f.arm };
    case 'converted':
      return { ...base, kind: 'converted', reason: f.detail, ...(f.reason === 'after-end' ? { attributed: 'after-end' as const } : {}) };
    case 'exited':
      return { ...base, kind: 'exited', reason: f.reason };
    case 'completed':
      return { ...base, kind: 'exited', reason: 'completed' };
    case 'failed':
      return { ...base, kind: 'failed', reason: f.reason };
    case 'rejected':
      return { ...base, kind: 'rejected', event: f.detail, reason: f.reason };
    case 'not-entered': {
      // A reason may carry its end already ("cooldown until <ISO>"); otherwise it is worked out from the runs.
      const [, reason = f.reason, given] = /^(\S+) until (\S+)$/.exec(f.reason ?? '') ?? [];
      const until = given ?? (reason === 'cooldown' ? cooldownUntil(f) : undefined);
      return { ...base, kind: 'not-entered', event: f.detail, reason, ...(until ? { until } : {}) };
    }
    default:
      return undefined;
  }
}

/**
 * When the cool-down that refused the entry `f` ends: the end of the latest earlier run of the journey (of
 * the same key, or any key with `per: 'customer'`) plus the journey's cool-down. A run's end is its last own
 * fact; the engine counts from the same moment (the run reports its end in the task that records it).
 */
function cooldownUntilOf(facts: Fact[], registry: readonly AnyJourney[]): (f: Fact) => string | undefined {
  return (f) => {
    const policy = registry.find((d) => d.name === f.journey)?.reentry;
    if (typeof policy !== 'object') return undefined;
    const perCustomer = (policy as { per?: string }).per === 'customer';
    const ends = new Map<string, number>();
    for (const g of facts) {
      if (g.journey !== f.journey || !g.run || !g.workflowId.startsWith('journey:') || g.at > f.at) continue;
      if (!perCustomer && g.key !== f.key) continue;
      ends.set(g.run, Math.max(ends.get(g.run) ?? 0, Date.parse(g.at)));
    }
    if (ends.size === 0) return undefined;
    const until = Math.max(...ends.values()) + toMs(policy.cooldown);
    return until > Date.parse(f.at) ? new Date(until).toISOString() : undefined;
  };
}

/** The ledger's rows: sent, suppressed or failed (`suppressed` with the reason), and every hold (`deferred`). */
function ledgerRows(state: CustomerState): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (const e of state.ledger) {
    const base = {
      at: e.at,
      journey: e.journey,
      customerId: state.customerId,
      ...(e.key !== undefined ? { key: e.key } : {}),
      template: e.template,
      topic: e.topic,
    };
    if (e.status === 'sent') rows.push({ ...base, kind: 'message', channel: e.channel, to: e.to, subject: e.subject });
    else if (e.status === 'suppressed' || e.status === 'failed') rows.push({ ...base, kind: 'suppressed', channel: e.channel, reason: e.reason });
    for (const h of [...(e.holds ?? []), ...(e.status === 'deferred' ? [{ at: e.at, reason: e.reason, until: e.until }] : [])]) {
      rows.push({ ...base, at: h.at, kind: 'deferred', reason: h.reason, until: h.until });
    }
  }
  return rows;
}

/**
 * Engine time to the whole second. The test server's clock runs on in real time while the engine works, so
 * each step lands a few milliseconds of real time after the moment it stands for (`09:00:00.031Z` for an
 * event at 09:00); those milliseconds say how fast this machine is, not what the journey does.
 */
export const engineSecond = (iso: string): string => new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString();

const ORDER: Record<TimelineKind, number> = {
  rejected: 0,
  'not-entered': 0,
  entered: 1,
  step: 2,
  split: 2,
  message: 3,
  suppressed: 3,
  deferred: 3,
  converted: 4,
  failed: 5,
  exited: 5,
};

export interface TimelineInput {
  state: CustomerState;
  /** Every fact the workflows recorded during the simulation (a fact recorded twice counts once). */
  facts: Fact[];
  /** The journeys, for their re-entry policies (when a cool-down ends). */
  registry?: readonly AnyJourney[];
  /** Only this journey's rows. */
  only?: string;
}

export function buildTimeline({ state, facts, registry = [], only }: TimelineInput): { rows: TimelineRow[]; final: FinalRow } {
  const customerId = state.customerId;
  const unique = [...new Map(facts.map((f) => [f.id, f])).values()];
  const cooldownUntil = cooldownUntilOf(unique, registry);
  const rows = [...unique.flatMap((f) => rowOf(f, customerId, cooldownUntil) ?? []), ...ledgerRows(state)];
  const kept = rows.filter((r) => !only || r.journey === only);
  kept.sort((a, b) => a.at.localeCompare(b.at) || ORDER[a.kind] - ORDER[b.kind]);
  const final: FinalRow = {
    kind: 'final',
    customerId,
    traits: state.traits,
    consent: state.consent,
    journeys: Object.values(state.journeys)
      .filter((r) => !only || r.journey === only)
      .map((r) => ({ journey: r.journey, ...(r.key !== undefined ? { key: r.key } : {}), status: r.status })),
  };
  return { rows: kept.map((r) => ({ ...r, at: engineSecond(r.at), ...(r.until ? { until: engineSecond(r.until) } : {}) })), final };
}

const NOT_ENTERED: Record<string, string> = {
  running: 'a run of it is still going',
  never: 'it ran before (reentry: never)',
  when: 'its trigger’s when is false',
  cooldown: 'cool-down',
};

/** The table a marketer reads: local date and time, journey, what happened. */
export function formatTable(rows: TimelineRow[], final: FinalRow, tz = 'UTC'): string {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const describe = (r: TimelineRow): string => {
    switch (r.kind) {
      case 'entered':
        return 'entered the journey';
      case 'not-entered':
        return `not entered on ${r.event}: ${NOT_ENTERED[r.reason ?? ''] ?? r.reason}${r.until ? ` until ${fmt.format(new Date(r.until))}` : ''}`;
      case 'step':
        return `step: ${r.step}`;
      case 'split':
        return `split ${r.split}: ${r.arm}`;
      case 'message':
        return `SENT ${r.channel} ${r.template}${r.subject ? ` — "${r.subject}"` : ''}${r.to ? ` to ${r.to}` : ''}`;
      case 'suppressed':
        return `not sent: ${r.template} (${r.reason})`;
      case 'deferred':
        return `held: ${r.template} (${r.reason})${r.until ? ` until ${fmt.format(new Date(r.until))}` : ''}`;
      case 'converted':
        return `converted (${r.reason})${r.attributed === 'after-end' ? ' after the run ended' : ''}`;
      case 'failed':
        return `failed: ${r.reason}`;
      case 'exited':
        return r.reason === 'completed' ? 'finished' : `exited (${r.reason})`;
      case 'rejected':
        return `event ${r.event ? `${r.event} ` : ''}rejected: ${r.reason}`;
    }
  };
  const lines = rows.map((r) => `${fmt.format(new Date(r.at)).padEnd(20)}  ${(r.journey + (r.key ? `:${r.key}` : '')).padEnd(28)}  ${describe(r)}`);
  const sent = rows.filter((r) => r.kind === 'message').length;
  const suppressed = rows.filter((r) => r.kind === 'suppressed').length;
  lines.push(
    '',
    `${sent} message(s) sent, ${suppressed} suppressed. Journeys: ${final.journeys.map((j) => `${j.journey}${j.key ? `:${j.key}` : ''} ${j.status}`).join(', ') || 'none'}`,
  );
  return [`when (${tz})`.padEnd(20) + '  ' + 'journey'.padEnd(28) + '  what', ...lines].join('\n');
}
