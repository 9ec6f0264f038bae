// SMS through Twilio with the official `twilio` client. Locally the client talks to Prism (a mock of
// Twilio's API built from its OpenAPI spec): a RequestClient subclass swaps https://api.twilio.com for
// TWILIO_API_BASE_URL, so the same client code runs against the mock and the real API.
//
// Errors: 21610 (the recipient replied STOP) → RecipientUnsubscribed, the workflow revokes SMS consent;
// other 4xx (21211 invalid number, …) → PermanentDelivery, the workflow falls back to the next channel;
// 429, 5xx, timeouts and connection errors → retried by Temporal.
import { ApplicationFailure } from '@temporalio/common';
import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import { maskPhone, redact } from './redact';
import type { TemplateRenderer } from './templates';
import { FailureTypes, type DeliverInput, type DeliverOutput } from '../domain/delivery';

export type TwilioClient = twilio.Twilio;

const TWILIO_API = 'https://api.twilio.com';

/** E.164: "+", a country code that does not start with 0, 8 to 15 digits in all. */
export const E164 = /^\+[1-9]\d{7,14}$/;

export function isE164(phone: string): boolean {
  return E164.test(phone);
}

/** The twilio client's HTTP layer, sending what it would send to https://api.twilio.com to `baseUrl`. */
export class RedirectingRequestClient extends RequestClient {
  private readonly baseUrl: string;

  constructor(baseUrl: string, opts?: RequestClient.RequestClientOptions) {
    super(opts);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    if (!opts.uri.startsWith(TWILIO_API)) {
      // Another Twilio host (an edge, another product): never let it reach the real service unnoticed.
      return Promise.reject(new Error(`refusing to call ${opts.uri}: this Twilio client only talks to ${this.baseUrl}`));
    }
    return super.request<TData>({ ...opts, uri: this.baseUrl + opts.uri.slice(TWILIO_API.length) });
  }
}

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /** Where to send API calls instead of https://api.twilio.com (Prism locally); undefined = the real API. */
  apiBaseUrl?: string;
  timeoutMs?: number;
}

export function createTwilioClient({ accountSid, authToken, apiBaseUrl, timeoutMs = 10_000 }: TwilioClientOptions): TwilioClient {
  const requestOptions = { timeout: timeoutMs, autoRetry: false }; // Temporal retries, with its own back-off
  return twilio(accountSid, authToken, {
    ...requestOptions,
    // The library would otherwise read TWILIO_* variables (edge, region, credentials) from the environment.
    env: {},
    httpClient: apiBaseUrl ? new RedirectingRequestClient(apiBaseUrl, requestOptions) : new RequestClient(requestOptions),
  });
}

export interface SmsDeps {
  client: TwilioClient;
  /** The sending number (E.164) or a messaging-service-less sender id. */
  from: string;
  /** Base URL of the public API: Twilio posts delivery receipts to <publicUrl>/webhooks/twilio/status. */
  publicUrl: string;
  renderer: TemplateRenderer;
}

interface TwilioHttpError {
  status: number;
  code?: number;
  message?: string;
  moreInfo?: string;
}

function asTwilioHttpError(err: unknown): TwilioHttpError | undefined {
  const e = err as { status?: unknown; code?: unknown };
  // RestException / TwilioServiceException: an HTTP answer from Twilio. Network errors carry string codes.
  return err instanceof Error && typeof e.status === 'number' && (e.code === undefined || typeof e.code === 'number')
    ? (err as unknown as TwilioHttpError)
    : undefined;
}

/** The failure the workflow acts on for an error of the twilio client. Its message goes to logs, Temporal's
 *  history and the ledger, so the number is masked (…0100) there, also where Twilio's own text echoes it. */
export function twilioFailure(err: unknown, phone: string): Error {
  const to = `the number ending ${maskPhone(phone)}`;
  const http = asTwilioHttpError(err);
  if (!http) {
    const e = err as Error & { code?: string };
    const why = e.code === 'ECONNABORTED' || /timeout/i.test(e.message ?? '') ? `no answer in time (${e.message})` : (e.code ?? e.message ?? String(err));
    return ApplicationFailure.retryable(`Twilio is unreachable: ${redact(why)} (will retry)`, 'ProviderUnavailable');
  }
  const detail = redact(
    `${http.message ?? 'no message'} (HTTP ${http.status}${http.code ? `, Twilio error ${http.code}` : ''})${http.moreInfo ? ` — ${http.moreInfo}` : ''}`,
  );
  if (http.code === 21610) {
    return ApplicationFailure.nonRetryable(
      `${to} has unsubscribed from our SMS (replied STOP): ${detail}. SMS consent is revoked; they can opt in again by texting START.`,
      FailureTypes.RecipientUnsubscribed,
    );
  }
  if (http.status === 429 || http.status >= 500) {
    return ApplicationFailure.retryable(`Twilio is overloaded or failing: ${detail} (will retry)`, 'ProviderUnavailable');
  }
  if (http.code === 21211) {
    return ApplicationFailure.nonRetryable(
      `Twilio says ${to} is not a valid phone number: ${detail}. Fix the customer's "phone" trait.`,
      FailureTypes.PermanentDelivery,
    );
  }
  if (http.status === 401 || http.status === 403) {
    return ApplicationFailure.nonRetryable(
      `Twilio refused our credentials: ${detail}. Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.`,
      FailureTypes.PermanentDelivery,
    );
  }
  return ApplicationFailure.nonRetryable(`Twilio refused the SMS to ${to}: ${detail}`, FailureTypes.PermanentDelivery);
}

export function createSmsActivities({ client, from, publicUrl, renderer }: SmsDeps) {
  const statusCallback = `${publicUrl.replace(/\/+$/, '')}/webhooks/twilio/status`;
  return {
    async sendSms(input: DeliverInput): Promise<DeliverOutput> {
      if (!isE164(input.to)) {
        throw ApplicationFailure.nonRetryable(
          `cannot text the "phone" trait (${input.to.length} characters, ending "${maskPhone(input.to)}"): not an E.164 phone number (a "+", the country code and the number, digits only, e.g. +14155550100). Fix the customer's "phone" trait.`,
          FailureTypes.PermanentDelivery,
        );
      }
      const { text } = await renderer.render(input.template, 'sms', input.vars);
      if (!text) {
        throw ApplicationFailure.nonRetryable(`template "${input.template}" rendered an empty SMS`, FailureTypes.PermanentDelivery);
      }
      try {
        const message = await client.messages.create({ to: input.to, from, body: text, statusCallback });
        return { providerId: message.sid };
      } catch (err) {
        throw twilioFailure(err, input.to);
      }
    },
  };
}
