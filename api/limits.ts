// Segment's size limits, checked on the parsed body before validation so that an oversized request is a
// 413 (naming the message) rather than a schema error. The body limits themselves are Fastify's bodyLimit.
import { ApiError, type Issue } from './errors';
import { LIMITS } from './schemas';

const kb = (bytes: number): string => `${Math.ceil(bytes / 1024)} KB`;

function eventTooLarge(value: unknown, path: string): Issue | null {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  return bytes > LIMITS.eventBytes ? { path, message: `${kb(bytes)} as JSON; the limit is ${kb(LIMITS.eventBytes)} per event` } : null;
}

/** The path of the first place where `value` nests objects/arrays deeper than `max` levels, or null. Iterative,
 *  and stops at the first one, so a hostile body costs no more than reading it. */
export function tooDeep(value: unknown, max: number): string | null {
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: value, depth: 1, path: '' }];
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return path;
    for (const [k, child] of Object.entries(v)) {
      if (child !== null && typeof child === 'object') stack.push({ v: child, depth: depth + 1, path: path ? `${path}.${k}` : k });
    }
  }
  return null;
}

/** A 400 when a message nests deeper than LIMITS.nesting (`base`: the message's path, e.g. "batch.3"). */
export function checkNesting(message: unknown, base = ''): void {
  const at = tooDeep(message, LIMITS.nesting);
  if (at === null) return;
  const path = [base, at.split('.').slice(0, LIMITS.nesting).join('.')].filter(Boolean).join('.');
  const shown = path.length > 120 ? `${path.slice(0, 120)}…` : path;
  throw new ApiError(400, 'invalid_request', `invalid request: nested deeper than ${LIMITS.nesting} levels of objects and arrays at ${shown}`, [
    { path: shown, message: `nested deeper than ${LIMITS.nesting} levels` },
  ]);
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
  batch.forEach((m, i) => checkNesting(m, `batch.${i}`));
  checkNesting((body as { context?: unknown }).context, 'context');
}
