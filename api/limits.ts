// Segment's size limits, checked on the parsed body before validation so that an oversized request is a
// 413 (naming the message) rather than a schema error. The body limits themselves are Fastify's bodyLimit.
// Nesting is checked twice: on the raw text of every JSON body before it is parsed (jsonTooDeep, at
// MAX_JSON_DEPTH, in api/server.ts's parser), then per message (checkNesting, at LIMITS.nesting) before
// anything else walks or serializes it.
import { ApiError, type Issue } from './errors';
import { LIMITS } from './schemas';

/** Objects and arrays in any JSON body, counted on the raw text before it is parsed; deeper is a 400. Room for
 *  a batch (body, batch, message) around a message at LIMITS.nesting, and far below what a recursive walk of
 *  the parsed value (JSON.stringify, zod, the twilio package) can take. */
export const MAX_JSON_DEPTH = 64;

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

/** Where raw JSON text nests objects and arrays deeper than `max` levels: the path of the first container
 *  past the limit ("batch.0.properties.a…"), or null. One pass over the characters, without recursion and
 *  without parsing, so a body nested 100,000 deep costs no more than reading it. Malformed text is left to
 *  JSON.parse (only strings and brackets matter here). */
export function jsonTooDeep(text: string, max: number): string | null {
  /** One entry per open container: '{' or '[', and the key or index of the value being read in it. */
  const kinds: number[] = [];
  const path: Array<string | number> = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = ++i;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      if (expectKey) path[path.length - 1] = text.slice(start, Math.min(i, start + 40));
      expectKey = false;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (kinds.length >= max) return path.join('.');
      kinds.push(c);
      path.push(c === 0x7b ? '' : 0);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      kinds.pop();
      path.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */ && kinds.length) {
      const top = kinds.length - 1;
      if (kinds[top] === 0x5b) path[top] = (path[top] as number) + 1;
      else expectKey = true;
    }
  }
  return null;
}

/** The 400 for a value nested deeper than `max` levels at `path`. */
export function tooDeepError(path: string, max: number): ApiError {
  const shown = path.length > 120 ? `${path.slice(0, 120)}…` : path;
  return new ApiError(400, 'invalid_request', `invalid request: nested deeper than ${max} levels of objects and arrays at ${shown || '(body)'}`, [
    { path: shown, message: `nested deeper than ${max} levels` },
  ]);
}

/** A 400 when a message nests deeper than LIMITS.nesting (`base`: the message's path, e.g. "batch.3"). */
export function checkNesting(message: unknown, base = ''): void {
  const at = tooDeep(message, LIMITS.nesting);
  if (at === null) return;
  throw tooDeepError([base, at.split('.').slice(0, LIMITS.nesting).join('.')].filter(Boolean).join('.'), LIMITS.nesting);
}

export function checkBatchLimits(body: unknown): void {
  const batch = (body as { batch?: unknown } | null)?.batch;
  if (!Array.isArray(batch)) return; // the schema names it
  if (batch.length > LIMITS.batchEvents) {
    throw new ApiError(413, 'payload_too_large', `a batch holds at most ${LIMITS.batchEvents} events; this one has ${batch.length}`, [
      { path: 'batch', message: `${batch.length} events; the limit is ${LIMITS.batchEvents}` },
    ]);
  }
  // Nesting first: the size check serializes each message (JSON.stringify recurses).
  batch.forEach((m, i) => checkNesting(m, `batch.${i}`));
  checkNesting((body as { context?: unknown }).context, 'context');
  const issues = batch.map((m, i) => eventTooLarge(m, `batch.${i}`)).filter((x): x is Issue => x !== null);
  if (issues.length) throw new ApiError(413, 'payload_too_large', `${issues.length} event(s) over ${kb(LIMITS.eventBytes)}; nothing was accepted`, issues);
}
