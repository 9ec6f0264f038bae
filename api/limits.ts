// Segment's size limits, checked on the parsed body before validation so that an oversized request is a
// 413 (naming the message) rather than a schema error. The body limits themselves are Fastify's bodyLimit.
import { ApiError, type Issue } from './errors';
import { LIMITS } from './schemas';

const kb = (bytes: number): string => `${Math.ceil(bytes / 1024)} KB`;

function eventTooLarge(value: unknown, path: string): Issue | null {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  return bytes > LIMITS.eventBytes ? { path, message: `${kb(bytes)} as JSON; the limit is ${kb(LIMITS.eventBytes)} per event` } : null;
}

export function checkBatchLimits(body: unknown): void {
  const batch = (body as { batch?: unknown } | null)?.batch;
  if (!Array.isArray(batch)) return; // the schema names it
  if (batch.length > LIMITS.batchEvents) {
    throw new ApiError(413, 'payload_too_large', `a batch holds at most ${LIMITS.batchEvents} events; this one has ${batch.length}`, [
      { path: 'batch', message: `${batch.length} events; the limit is ${LIMITS.batchEvents}` },
    ]);
  }
  const issues = batch.map((m, i) => eventTooLarge(m, `batch.${i}`)).filter((x): x is Issue => x !== null);
  if (issues.length) throw new ApiError(413, 'payload_too_large', `${issues.length} event(s) over ${kb(LIMITS.eventBytes)}; nothing was accepted`, issues);
}
