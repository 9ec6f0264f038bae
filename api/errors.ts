// One error format for every failure: {error, message, issues: [{path, message}]}, plus the mapping of
// zod issues and of Fastify's own errors (bad JSON, body too large, wrong content type) onto it.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ErrorResponse } from './schemas';

export type ErrorCode = ErrorResponse['error'];
export interface Issue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues: Issue[] = [],
    readonly headers: Record<string, string> = {},
    readonly extra: { messageIds?: string[] } = {},
  ) {
    super(message);
  }

  body(): ErrorResponse {
    return { error: this.code, message: this.message, issues: this.issues, ...this.extra };
  }
}

export const dotted = (path: ReadonlyArray<PropertyKey>): string => path.map(String).join('.');

/** zod issues → 400 naming each field ("batch.3.event: required"). */
export function invalidRequest(error: z.ZodError): ApiError {
  const issues = error.issues.map((i) => ({
    path: dotted(i.path),
    message: /received undefined$/.test(i.message) ? 'required' : i.message.replace(/^Invalid input: /, ''),
  }));
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path || '(body)'}: ${i.message}`)
    .join('; ');
  return new ApiError(400, 'invalid_request', `invalid request: ${summary}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}`, issues);
}

/** Fastify's errors (raised before our handler runs) and anything unexpected, in our format. */
export function toApiError(err: FastifyError | Error): ApiError {
  if (err instanceof ApiError) return err;
  const code = (err as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported_media_type', 'send the body as JSON with Content-Type: application/json', [
        { path: 'headers.content-type', message: 'expected application/json' },
      ]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'payload_too_large', 'request body too large (limits: 32 KB for /v1/track and /v1/identify, 500 KB for /v1/batch)', [
        { path: '', message: 'body too large' },
      ]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'invalid_request', `malformed JSON: ${err.message}`, [{ path: '', message: 'body is not valid JSON' }]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'invalid_request', err.message, [{ path: 'headers.content-length', message: 'does not match the body' }]);
  }
  if (err instanceof SyntaxError) {
    // JSON.parse errors, including __proto__ / constructor poisoning, which Fastify rejects.
    return new ApiError(400, 'invalid_request', `malformed JSON: ${err.message}`, [{ path: '', message: 'body is not valid JSON' }]);
  }
  const status = (err as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return new ApiError(status, 'invalid_request', err.message, []);
  return new ApiError(500, 'internal_error', 'internal error; nothing was accepted, retry later', []);
}

export function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  reply.code(err.status).headers(err.headers);
  return reply.send(err.body());
}

/** Fastify error handler: logs server errors, answers in our format. */
export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = toApiError(err);
  if (apiError.status === 503) request.log.warn({ err: err.message }, 'Temporal unavailable');
  else if (apiError.status >= 500) request.log.error({ err, cause: (err as { cause?: unknown }).cause }, 'request failed');
  request.apiError = apiError.code;
  return sendError(reply, apiError);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code this request was answered with, for metrics. */
    apiError?: ErrorCode;
    /** Short id of the write key (hash prefix), set by auth. */
    writeKeyId?: string;
  }
}
