// One JSON POST for the HTTP channels (webhook, Slack), with the retry decision both share:
// 2xx sent; 408, 429, 5xx, timeouts and network errors are retried by Temporal (a 429/503 Retry-After is
// honoured); every other answer is permanent (PermanentDelivery: the workflow tries the next channel).
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from '../domain/delivery';

export interface PostJsonOptions {
  /** Names the destination in errors and the ledger. Never the full URL: a Slack webhook URL is a secret. */
  name: string;
  url: string;
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export interface PostJsonResult {
  status: number;
  body: string;
}

/** The longest Retry-After we follow; Temporal's own back-off takes over beyond it. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** A URL safe to show: scheme and host only (paths and queries of webhook URLs often carry tokens). */
export function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : undefined;
}

function snippet(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 200)}…` : one;
}

export async function postJson(o: PostJsonOptions): Promise<PostJsonResult> {
  const doFetch = o.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(o.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'omnijourney', ...o.headers },
      body: o.body,
      // A redirect would turn the POST into a GET elsewhere: treat it as a configuration error instead.
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw ApplicationFailure.retryable(`${o.name} did not answer within ${o.timeoutMs} ms (will retry)`, 'ProviderUnavailable');
    }
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    throw ApplicationFailure.retryable(`${o.name} is unreachable: ${why} (will retry)`, 'ProviderUnavailable');
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The status decides; a body cut off mid-way does not matter.
  }
  if (res.status >= 200 && res.status < 300) return { status: res.status, body: text };
  const answer = `HTTP ${res.status}${text ? `: ${snippet(text)}` : ''}`;
  if (res.status === 408 || res.status === 429 || res.status >= 500) {
    throw ApplicationFailure.create({
      message: `${o.name} answered ${answer} (will retry)`,
      type: 'ProviderUnavailable',
      nextRetryDelay: res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get('retry-after')) : undefined,
    });
  }
  if (res.status >= 300 && res.status < 400) {
    throw ApplicationFailure.nonRetryable(
      `${o.name} redirected (HTTP ${res.status}) to ${redactUrl(res.headers.get('location') ?? '')}: configure the final URL`,
      FailureTypes.PermanentDelivery,
    );
  }
  throw ApplicationFailure.nonRetryable(`${o.name} refused the message: ${answer}`, FailureTypes.PermanentDelivery);
}
