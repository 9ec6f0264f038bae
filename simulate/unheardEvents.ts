// Scenario events nothing listens to: a typo in an event name, a journey left out of journeys/index.ts, or an
// event that comes after the wait for it ran out. The engine records such an event and does nothing else, and
// the timeline just stays empty; simulate says so instead.
import { matcherOf, type AnyJourney } from '../sdk/journey';
import type { JourneyRun } from '../domain/customerState';
import type { JourneyStatus } from '../domain/messages';
import { forwardTargets, runningJourneyIds } from '../domain/routing';

/** Event names some registered journey reacts to whatever its runs are doing: triggers, goals, exitOn events. */
export function eventsJourneysReactTo(registry: readonly AnyJourney[]): Set<string> {
  const names = new Set<string>();
  for (const def of registry) {
    names.add(def.trigger.event);
    if (def.goal) names.add(def.goal.event);
    for (const m of def.exitOn ?? []) names.add(matcherOf(m).event);
  }
  return names;
}

/** The running runs the engine forwards this event to: only those that can use it (domain/routing.ts
 *  forwardTargets, the customer workflow's own rule), so only these may take it. */
export function runsReached(runs: readonly JourneyRun[], registry: readonly AnyJourney[], event: string): string[] {
  const state = { journeys: Object.fromEntries(runs.map((r) => [r.workflowId, r])) };
  return forwardTargets(state, runningJourneyIds(state), registry, event);
}

/** Whether a running journey the event reaches (runsReached) may take it now: it is in a `waitFor` of it (its status names the events
 *  in backquotes: "waiting for `a` or `b` until …"), or it is carrying out a send, during which the events
 *  that arrive count for the `waitFor` that may follow. */
export function mayTake(status: Pick<JourneyStatus, 'waitingFor' | 'sending'>, event: string): boolean {
  if (status.sending) return true;
  const waiting = /^waiting for (.*) until /.exec(status.waitingFor ?? '')?.[1] ?? '';
  return [...waiting.matchAll(/`([^`]+)`/g)].some((m) => m[1] === event);
}

export const unheardWarning = (event: string, at: string, when: string): string =>
  `scenario event ${event} (at ${at}, ${when}): no journey triggers on ${event}, and no running journey was waiting for it; ` +
  'the engine records it and does nothing else (is the journey in journeys/index.ts, and the name spelled as its trigger?)';
