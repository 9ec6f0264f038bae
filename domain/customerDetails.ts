// What an operator sees in the Temporal UI's "current details" of a customer workflow (Markdown): the
// running journeys, the held messages and why, and the last delivery.
import type { CustomerState } from './customerState';

export function customerDetails(state: Pick<CustomerState, 'customerId' | 'paused' | 'journeys' | 'pending' | 'ledger'>): string {
  const running = Object.values(state.journeys).filter((r) => r.status === 'running');
  const lines = [`**customer ${state.customerId}**${state.paused ? ' · **paused** (messages held until resume)' : ''}`];
  lines.push(running.length ? `in ${running.length} journey(s): ${running.map((r) => `${r.journey}${r.key ? `:${r.key}` : ''}`).join(', ')}` : 'in no journey');
  for (const p of state.pending) lines.push(`holding \`${p.request.template}\` (${p.reason}) until ${p.notBefore}`);
  const last = state.ledger.at(-1);
  if (last) lines.push(`last delivery: \`${last.template}\` ${last.status}${last.reason ? ` (${last.reason})` : ''} at ${last.at}`);
  return lines.join('\n\n');
}
