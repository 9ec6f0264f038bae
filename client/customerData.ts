// A customer's right of access and right to erasure. `exportCustomer` returns everything the engine holds
// about one customer (read through the client, so encrypted payloads come back decoded); `eraseCustomer`
// ends every workflow of theirs and deletes the executions, so their histories and visibility records go.
// Both take the customer's facts in the store too when given a CustomerFactStore.
// Used by `omnijourney export|erase` (cli/main.ts).
import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { withDeadline } from './deadline';
import type { CustomerState, JourneyRun } from '../domain/customerState';
import type { Fact } from '../domain/facts';
import { customerWorkflowId, stateQuery } from '../domain/messages';

export class CustomerNotFoundError extends Error {
  constructor(readonly customerId: string) {
    super(`no customer "${customerId}": workflow ${customerWorkflowId(customerId)} does not exist (never sent an event, or erased)`);
    this.name = 'CustomerNotFoundError';
  }
}

/** A customer's facts in the store (PostgreSQL), handed in by the caller (cli/factStore.ts): client/ does not
 *  reach the store itself. */
export interface CustomerFactStore {
  /** The database, without its password, for messages. */
  where: string;
  /** Oldest first. */
  facts(customerId: string): Promise<Fact[]>;
  /** Deletes them; resolves with how many there were. */
  erase(customerId: string): Promise<number>;
}

export interface CustomerExecution {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime?: string;
  closeTime?: string;
}

export interface CustomerExport {
  customerId: string;
  exportedAt: string;
  profile: { traits: CustomerState['traits']; identities: CustomerState['identities']; paused: boolean; owned: NonNullable<CustomerState['owned']> };
  /** Channels, topics, channel:topic pairs, and the history of changes with their source. */
  consent: CustomerState['consent'];
  events: { received: number; recent: CustomerState['recentEvents']; rejected: CustomerState['rejections'] };
  /** Every delivery decision: sent, suppressed, deferred, failed, with the reason and the address used. */
  ledger: CustomerState['ledger'];
  /** Messages held back (quiet hours, paused), with their data. */
  held: CustomerState['pending'];
  journeys: JourneyRun[];
  /** The Temporal executions that carry this customer's data (what `erase` deletes). */
  workflows: CustomerExecution[];
  /** What the journeys recorded about the customer in the store (entries, steps, splits, delivery decisions,
   *  conversions, endings), oldest first. Absent when no store is configured. */
  facts?: Fact[];
}

/** A Temporal list-filter string literal. */
const quoted = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
export const customerQuery = (customerId: string): string => `CustomerId = ${quoted(customerId)}`;

function toExecution(w: Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'type' | 'status' | 'startTime' | 'closeTime'>): CustomerExecution {
  return {
    workflowId: w.workflowId,
    runId: w.runId,
    type: w.type,
    status: w.status.name,
    startTime: w.startTime?.toISOString(),
    closeTime: w.closeTime?.toISOString(),
  };
}

/** Every execution (each run) carrying `CustomerId = <id>`, plus the customer workflow itself if visibility lags. */
export async function listCustomerExecutions(client: Client, customerId: string): Promise<CustomerExecution[]> {
  const found = new Map<string, CustomerExecution>();
  for await (const w of client.workflow.list({ query: customerQuery(customerId) })) found.set(`${w.workflowId}/${w.runId}`, toExecution(w));
  try {
    const d = await client.workflow.getHandle(customerWorkflowId(customerId)).describe();
    found.set(`${d.workflowId}/${d.runId}`, toExecution(d));
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  // The customer workflow first (no new journeys while the rest goes), then by start time.
  const rank = (e: CustomerExecution) => (e.workflowId === customerWorkflowId(customerId) ? 0 : 1);
  return [...found.values()].sort((a, b) => rank(a) - rank(b) || (a.startTime ?? '').localeCompare(b.startTime ?? ''));
}

export async function exportCustomer(
  client: Client,
  customerId: string,
  options: { queryTimeoutMs?: number; facts?: CustomerFactStore } = {},
): Promise<CustomerExport> {
  const handle = client.workflow.getHandle(customerWorkflowId(customerId));
  try {
    await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CustomerNotFoundError(customerId);
    throw err;
  }
  const timeoutMs = options.queryTimeoutMs ?? 15_000;
  const state = await withDeadline(client, Date.now() + timeoutMs, () => handle.query(stateQuery)).catch((err: Error) => {
    throw new Error(`the customer workflow did not answer within ${timeoutMs / 1000} s (${err.message}); is a worker running on its task queue?`);
  });
  return {
    customerId,
    exportedAt: new Date().toISOString(),
    profile: { traits: state.traits, identities: state.identities, paused: state.paused, owned: state.owned ?? {} },
    consent: state.consent,
    events: { received: state.eventsReceived, recent: state.recentEvents, rejected: state.rejections },
    ledger: state.ledger,
    held: state.pending,
    journeys: Object.values(state.journeys),
    workflows: await listCustomerExecutions(client, customerId),
    ...(options.facts ? { facts: await options.facts.facts(customerId) } : {}),
  };
}

export interface ErasedExecution extends CustomerExecution {
  /** It was running, and erase terminated it. */
  terminated: boolean;
}

export interface EraseResult {
  customerId: string;
  executions: ErasedExecution[];
  terminated: number;
  deleted: number;
  /** Facts deleted from the store; absent when no store was given. */
  facts?: number;
}

export interface EraseOptions {
  /** The termination reason recorded (briefly: the history is deleted right after). */
  reason?: string;
  timeoutMs?: number;
  /** Called as each execution goes, for progress output. */
  onExecution?: (e: ErasedExecution) => void;
  /** The store: the customer's facts are deleted once their workflows are gone (so none records another). */
  facts?: CustomerFactStore;
}

async function gone(client: Client, e: CustomerExecution): Promise<boolean> {
  try {
    await client.workflow.getHandle(e.workflowId, e.runId).describe();
    return false;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return true;
    throw err;
  }
}

/**
 * Terminates the customer's running workflows (the customer workflow first, then its journeys) and deletes
 * every execution of theirs, closed runs included: histories and visibility records are removed by the
 * server. Repeats until a search finds nothing left, so a journey started meanwhile goes too. Idempotent:
 * erasing an unknown or already erased customer returns zero counts.
 */
export async function eraseCustomer(client: Client, customerId: string, options: EraseOptions = {}): Promise<EraseResult> {
  const reason = options.reason ?? 'customer erased on request (omnijourney erase): personal data deleted';
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  const namespace = client.options.namespace;
  const done = new Map<string, ErasedExecution>();
  for (;;) {
    const listed = await listCustomerExecutions(client, customerId);
    if (listed.length === 0) break;
    const left = listed.filter((e) => !done.has(`${e.workflowId}/${e.runId}`));
    if (Date.now() > deadline) {
      if (left.length) throw new Error(`erase of customer "${customerId}" did not finish in time; ${left.length} execution(s) left. Run it again.`);
      break; // only visibility records of deleted runs, which the server removes shortly
    }
    if (left.length === 0) {
      // Deleted runs whose visibility records have not gone yet.
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    for (const e of left) {
      let terminated = false;
      if (e.status === 'RUNNING') {
        try {
          await client.workflow.getHandle(e.workflowId, e.runId).terminate(reason);
          terminated = true;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err; // it ended meanwhile
        }
      }
      try {
        await client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId: e.workflowId, runId: e.runId } });
      } catch (err) {
        if ((err as { code?: number }).code !== 5 /* NOT_FOUND: already deleted */) throw err;
      }
      const erased = { ...e, terminated };
      done.set(`${e.workflowId}/${e.runId}`, erased);
      options.onExecution?.(erased);
    }
    // Deletion is asynchronous on the server: wait until each run is gone before looking again.
    for (const e of left) {
      while (!(await gone(client, e))) {
        if (Date.now() > deadline) throw new Error(`execution ${e.workflowId} (run ${e.runId}) was not deleted in time. Run erase again.`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  const executions = [...done.values()];
  const facts = options.facts ? await options.facts.erase(customerId) : undefined;
  return {
    customerId,
    executions,
    terminated: executions.filter((e) => e.terminated).length,
    deleted: executions.length,
    ...(facts === undefined ? {} : { facts }),
  };
}
