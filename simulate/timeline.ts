// Turns the engine's own records (customer ledger and rejections, journey timelines) into the
// `simulate` timeline: one row per thing a marketer cares about, in simulated-time order.
import type { CustomerState } from '../domain/customerState';
import type { JourneyStatus } from '../domain/messages';

export interface TimelineRow {
  at: string;
  kind: 'entered' | 'step' | 'message' | 'suppressed' | 'deferred' | 'exited' | 'converted' | 'rejected';
  journey: string;
  customerId: string;
  key?: string;
  step?: string;
  channel?: string;
  template?: string;
  topic?: string;
  to?: string;
  subject?: string;
  reason?: string;
  /** For `deferred`: when the message will be tried again. */
  until?: string;
}

export interface FinalRow {
  kind: 'final';
  customerId: string;
  traits: Record<string, unknown>;
  consent: CustomerState['consent'];
  journeys: Array<{ journey: string; key?: string; status: string }>;
}

export function buildTimeline(state: CustomerState, journeys: JourneyStatus[], only?: string): { rows: TimelineRow[]; final: FinalRow } {
  const rows: TimelineRow[] = [];
  const customerId = state.customerId;
  for (const j of journeys) {
    for (const t of j.timeline) {
      const base = { at: t.at, journey: j.journey, customerId, ...(j.key !== undefined ? { key: j.key } : {}) };
      if (t.kind === 'entered') rows.push({ ...base, kind: 'entered' });
      else if (t.kind === 'step') rows.push({ ...base, kind: 'step', step: t.step });
      else if (t.kind === 'converted') rows.push({ ...base, kind: 'converted', reason: t.detail });
      else if (t.kind === 'exited') rows.push({ ...base, kind: 'exited', reason: t.reason });
      else if (t.kind === 'completed') rows.push({ ...base, kind: 'exited', reason: 'completed' });
    }
  }
  for (const e of state.ledger) {
    const base = { at: e.at, journey: e.journey, customerId, ...(e.key !== undefined ? { key: e.key } : {}), template: e.template, topic: e.topic };
    if (e.status === 'sent') rows.push({ ...base, kind: 'message', channel: e.channel, to: e.to, subject: e.subject });
    else if (e.status === 'suppressed' || e.status === 'failed') rows.push({ ...base, kind: 'suppressed', channel: e.channel, reason: e.reason });
    for (const h of [...(e.holds ?? []), ...(e.status === 'deferred' ? [{ at: e.at, reason: e.reason, until: e.until }] : [])]) {
      rows.push({ ...base, at: h.at, kind: 'deferred', reason: h.reason, until: h.until });
    }
  }
  for (const r of state.rejections) rows.push({ at: r.at, kind: 'rejected', journey: r.journey, customerId, reason: r.error });
  const kept = rows.filter((r) => !only || r.journey === only);
  const order: Record<TimelineRow['kind'], number> = { rejected: 0, entered: 1, step: 2, message: 3, suppressed: 3, deferred: 3, converted: 4, exited: 5 };
  kept.sort((a, b) => a.at.localeCompare(b.at) || order[a.kind] - order[b.kind]);
  const final: FinalRow = {
    kind: 'final',
    customerId,
    traits: state.traits,
    consent: state.consent,
    journeys: Object.values(state.journeys)
      .filter((r) => !only || r.journey === only)
      .map((r) => ({ journey: r.journey, ...(r.key !== undefined ? { key: r.key } : {}), status: r.status })),
  };
  return { rows: kept, final };
}

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
      case 'step':
        return `step: ${r.step}`;
      case 'message':
        return `SENT ${r.channel} ${r.template}${r.subject ? ` — "${r.subject}"` : ''}${r.to ? ` to ${r.to}` : ''}`;
      case 'suppressed':
        return `not sent: ${r.template} (${r.reason})`;
      case 'deferred':
        return `held: ${r.template} (${r.reason})${r.until ? ` until ${fmt.format(new Date(r.until))}` : ''}`;
      case 'converted':
        return `converted (${r.reason})`;
      case 'exited':
        return r.reason === 'completed' ? 'finished' : `exited (${r.reason})`;
      case 'rejected':
        return `event rejected: ${r.reason}`;
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
