// Conversions after a run's end (goal.within): a goal event that arrives after the run ended, within the
// window after its last message (after its end when it sent none), is the run's conversion all the same. The
// customer workflow sees every event and keeps each run's record, so it decides here, once per run.
import { toMs } from '../sdk/duration';
import type { AnyJourney } from '../sdk/journey';
import type { CustomerState, JourneyRun } from './customerState';
import { runOfRequest } from './facts';

export interface LateConversion {
  record: JourneyRun;
  def: AnyJourney;
  /** The run (`<journey workflow id>/<entry>`), as on the run's own facts. */
  run: string;
}

/** The ended, unconverted runs this event converts late. Marks none: the caller does (markConvertedAfterEnd). */
export function lateConversions(state: Pick<CustomerState, 'journeys' | 'ledger'>, defs: readonly AnyJourney[], eventName: string, at: Date): LateConversion[] {
  const out: LateConversion[] = [];
  for (const record of Object.values(state.journeys)) {
    const def = defs.find((d) => d.name === record.journey);
    const goal = def?.goal;
    if (!def || !goal?.within || goal.event !== eventName) continue;
    if (record.status !== 'completed' && record.status !== 'exited') continue;
    if (record.convertedAfterEnd || !record.endedAt) continue;
    const run = `${record.workflowId}/${record.entries}`;
    const lastSent = state.ledger
      .filter((e) => e.status === 'sent' && runOfRequest(e.id) === run)
      .reduce<string | undefined>((latest, e) => (latest === undefined || e.at > latest ? e.at : latest), undefined);
    const anchor = Date.parse(lastSent ?? record.endedAt);
    const since = at.getTime() - anchor;
    if (since >= 0 && since <= toMs(goal.within)) out.push({ record, def, run });
  }
  return out;
}
