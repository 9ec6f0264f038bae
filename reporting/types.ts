// What `omnijourney report` prints and the dashboard draws: one journey's outcomes from its facts
// (domain/facts.ts, stored by store/). A run is one entry of one customer (`run` on every fact).
import type { ArmComparison } from './stats';

export interface ReportWindow {
  /** Facts at or after this instant (ISO). */
  since?: string;
  /** Facts before this instant (ISO). */
  until?: string;
}

export interface JourneyReport extends ReportWindow {
  journey: string;
  generatedAt: string;
  /** Runs entered in the window, and the distinct customers among them. */
  entered: number;
  customers: number;
  /** Events that would have started a run and did not, by reason (cooldown, running, never, when) and rejected ones. */
  notEntered: Array<{ reason: string; count: number }>;
  rejected: number;
  /** Runs of the window still going (no completed, exited or failed fact, and no converted fact that ended them). */
  active: number;
  ended: { completed: number; exited: number; failed: number };
  /** Per step in first-reached order: runs that reached it, and active runs whose latest step it is. */
  funnel: Array<{ step: string; reached: number; now: number }>;
  /** Delivery decisions per template and channel (channel null when suppressed before one was chosen). */
  messages: Array<{
    template: string;
    channel: string | null;
    sent: number;
    /** By reason (consent, quiet-hours, cap, already-owned …). */
    suppressed: Array<{ reason: string; count: number }>;
    deferred: number;
    failed: number;
    /** Provider status callbacks: delivered, undelivered, failed … */
    provider: Array<{ status: string; count: number }>;
  }>;
  conversions: {
    /** Runs with a converted fact (once per run). */
    runs: number;
    /** runs / entered (0 when nothing entered). */
    rate: number;
    /** Median from entry to the first conversion, in ms; null without conversions. */
    medianMsToConvert: number | null;
    /** Conversions that came after the run ended, within the goal's `within` window. */
    afterEnd: number;
  };
  /** One entry per j.split name: the arms' runs and conversions, and each arm against the control. */
  splits: Array<{
    split: string;
    control: string;
    arms: Array<{ arm: string; customers: number; conversions: number; rate: number }>;
    comparisons: ArmComparison[];
  }>;
  /** Delivery outcomes per day (UTC) for the dashboard's chart over time. */
  deliveriesByDay: Array<{ day: string; status: string; reason: string | null; count: number }>;
}

/** One row of the dashboard's journey list. */
export interface JourneySummary {
  journey: string;
  entered: number;
  active: number;
  converted: number;
  /** Last fact's time (ISO). */
  lastAt: string;
}
