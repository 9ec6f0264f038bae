// Webhook channel: a signed JSON POST to the configured URL (WEBHOOK_URL), for the team's own systems.
//
// Signature (the Stripe scheme): `Omnijourney-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<raw body>")>`. Receivers recompute it over the raw bytes they received, compare in constant time
// and reject old timestamps (replays); `verifyWebhookSignature` does all three. `Idempotency-Key` is the
// same on every retry of one message, and equals the body's `id`: receivers dedupe on it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { postJson, redactUrl } from './http';
import { isMissingTemplate, type TemplateRenderer } from './templates';
import type { DeliverInput, DeliverOutput } from '../domain/delivery';

export const SIGNATURE_HEADER = 'Omnijourney-Signature';
/** How old a signature may be by default when verified: 5 minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export interface WebhookPayload {
  id: string;
  type: 'journey.message';
  customerId: string;
  journey: string;
  template: string;
  topic: DeliverInput['topic'];
  data: DeliverInput['vars']['data'];
  /** The rendered `<template>.webhook.liquid`, when the template has a webhook version. */
  text?: string;
}

export interface WebhookDeps {
  url: string;
  secret: string;
  renderer: TemplateRenderer;
  timeoutMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
  fetch?: typeof fetch;
}

function hmacHex(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The Omnijourney-Signature header value for `rawBody` sent at `timestamp` (Unix seconds). */
export function signWebhookPayload(secret: string, rawBody: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, rawBody)}`;
}

/**
 * For receivers: true when `header` (the Omnijourney-Signature value) signs exactly `rawBody` with `secret`
 * and its timestamp is within `toleranceSec` of `nowMs`. Pass the raw request body, not re-serialised JSON.
 * Several v1 values are accepted (one per secret while rotating).
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string | Buffer,
  toleranceSec: number = DEFAULT_TOLERANCE_SECONDS,
  nowMs: number = Date.now(),
): boolean {
  if (!secret || !header) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const key = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSec) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), 'hex');
  // Compare every candidate (no early exit on the first match).
  let ok = false;
  for (const s of signatures) ok = timingSafeEqual(Buffer.from(s, 'hex'), expected) || ok;
  return ok;
}

export function createWebhookActivities({ url, secret, renderer, timeoutMs = 10_000, now = Date.now, fetch }: WebhookDeps) {
  return {
    async sendWebhook(input: DeliverInput): Promise<DeliverOutput> {
      let text: string | undefined;
      try {
        text = (await renderer.render(input.template, 'webhook', input.vars)).text;
      } catch (err) {
        if (!isMissingTemplate(err)) throw err; // a template with a webhook version that fails to render is a bug
      }
      const payload: WebhookPayload = {
        id: input.idempotencyKey,
        type: 'journey.message',
        customerId: input.customerId,
        journey: input.journey,
        template: input.template,
        topic: input.topic,
        data: input.vars.data,
        ...(text !== undefined ? { text } : {}),
      };
      const rawBody = JSON.stringify(payload);
      // Signed at each attempt: a retry an hour later still passes the receiver's timestamp check.
      const timestamp = Math.floor(now() / 1000);
      await postJson({
        name: `the webhook ${redactUrl(url)}`,
        url,
        body: rawBody,
        headers: { [SIGNATURE_HEADER]: signWebhookPayload(secret, rawBody, timestamp), 'Idempotency-Key': input.idempotencyKey },
        timeoutMs,
        fetch,
      });
      return { providerId: `webhook:${input.idempotencyKey}` };
    },
  };
}
