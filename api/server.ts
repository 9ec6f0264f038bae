// The ingest API as a Fastify instance, with everything it talks to injected (Temporal client, task
// queue, settings), so tests run it against their own server. api/main.ts is the process around it.
import type { Client } from '@temporalio/client';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Pool } from 'pg';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { ApiConfig } from '../config/config';
import type { EngineConfig } from '../domain/engineConfig';
import { createWriteKeys } from './auth';
import { createCustomerAccess, type CustomersConfig } from './customers';
import { createDeliver, type DeliverOptions } from './deliver';
import { ApiError, errorHandler, sendError, toApiError } from './errors';
import { isCustomerPagePath, PAGE_HEADERS, requestProblemPage, sendRequestProblem } from './html';
import { jsonTooDeep, MAX_JSON_DEPTH, tooDeepError } from './limits';
import { ApiMetrics } from './metrics';
import { TokenBuckets } from './rateLimit';
import { codecRoutes, type CodecRouteDeps } from './routes/codec';
import { dashboardRoutes } from './routes/dashboard';
import { healthRoutes } from './routes/health';
import { ingestRoutes } from './routes/ingest';
import { metricsRoutes } from './routes/metrics';
import { openApiRoutes } from './routes/openapi';
import { preferenceRoutes } from './routes/preferences';
import { twilioSmsRoutes } from './routes/twilioSms';
import { twilioStatusRoutes } from './routes/twilioStatus';
import { unsubscribeRoutes } from './routes/unsubscribe';
import { LIMITS } from './schemas';

export interface ServerDeps {
  client: Client;
  taskQueue: string;
  api: Pick<ApiConfig, 'writeKeys' | 'rateLimit' | 'temporalTimeoutMs'> & Partial<Pick<ApiConfig, 'operatorTokens'>>;
  /** Passed to a customer workflow when an event starts it (delivery policy), as the CLI does. */
  engine?: Partial<EngineConfig>;
  /** The customer-facing routes (preference centre, one-click unsubscribe, Twilio webhooks); not served
   *  when unset. api/main.ts passes customersConfig(loadConfig()). */
  customers?: CustomersConfig;
  logger?: FastifyServerOptions['logger'];
  metrics?: ApiMetrics;
  /** Clock of the rate limiter (ms). */
  now?: () => number;
  /** Overrides for tests (e.g. a different sendEvents). */
  deliver?: Partial<Pick<DeliverOptions, 'concurrency' | 'sendEvents' | 'retryAfterSeconds'>>;
  /** The codec endpoint for the Temporal UI (/codec/decode, /codec/encode); not served when unset. */
  codec?: CodecRouteDeps;
  /** The facts store for the operator dashboard (/dashboard); unset: the dashboard answers 503 (facts are off). */
  store?: { db: Pick<Pool, 'query'> };
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** An ApiError that the customer-facing routes' own error handlers also see as a 4xx (they read statusCode). */
const httpError = (err: ApiError): ApiError & { statusCode: number } => Object.assign(err, { statusCode: err.status });

/** Longest preference or unsubscribe token the router takes (find-my-way's default is 100 characters). */
const MAX_PARAM_LENGTH = 2048;

/** Whether a URL is one of the customer pages, when this server serves them: their errors are HTML pages. */
const customerPage = (deps: ServerDeps, url: string): boolean => deps.customers !== undefined && isCustomerPagePath(url);

/** Node's HTTP parser refused a request before Fastify saw it (request line and headers over Node's 16 KB, a
 *  timeout, bytes that are not HTTP). Fastify would answer JSON in its own format; this answers in the API's,
 *  or with the customer pages' HTML page and security headers when the request line asked for one of them. A
 *  request line over half of Node's limit makes it a 414 (the URL is too long), as a token too long for the
 *  router is. The request line is read from the chunk the parser failed in: it is there when the request
 *  arrived in one piece; otherwise the answer is the API's JSON. */
function clientErrorHandler(deps: ServerDeps) {
  return (err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    let status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined;
    const target = raw && /^[A-Z]+ (\/\S*)/.exec(raw.subarray(0, MAX_PARAM_LENGTH + 100).toString('latin1'))?.[1];
    const lineEnd = raw?.indexOf('\r\n') ?? -1;
    if (status === 431 && target !== undefined && (lineEnd === -1 || lineEnd > maxHeaderSize / 2)) status = 414;
    let headers: Record<string, string>;
    let body: string;
    if (target !== undefined && customerPage(deps, target)) {
      headers = PAGE_HEADERS;
      body = requestProblemPage(status);
    } else {
      const [path, message] =
        status === 408
          ? ['', 'the request was not received in time']
          : status === 414
            ? ['url', 'the URL is too long']
            : status === 431
              ? ['headers', `the request line and headers are over ${maxHeaderSize / 1024} KB`]
              : ['', 'malformed HTTP request'];
      headers = { 'content-type': 'application/json; charset=utf-8' };
      body = JSON.stringify(new ApiError(status, 'invalid_request', message, [{ path, message }]).body());
    }
    if (socket.writable) {
      const lines = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${lines.join('')}\r\n${body}`);
    }
    socket.destroy();
  };
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const metrics = deps.metrics ?? new ApiMetrics();
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: LIMITS.batchBytes,
    requestTimeout: 60_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own refusals (a token over MAX_PARAM_LENGTH: 414; bad %-encoding: 400) in our formats.
    frameworkErrors: (err, request, reply) => {
      const apiError = toApiError(err);
      request.apiError = apiError.code;
      return customerPage(deps, request.url) ? sendRequestProblem(reply, apiError.status) : sendError(reply, apiError);
    },
    clientErrorHandler: clientErrorHandler(deps),
  });
  // JSON only: Fastify would otherwise take text/plain as a string body.
  app.removeContentTypeParser('text/plain');
  // JSON in UTF-8 only, and valid UTF-8: Fastify's own parser would turn invalid bytes into U+FFFD and
  // accept them. Prototype poisoning (`__proto__`, `constructor.prototype`) is refused as before.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      return done(
        httpError(
          new ApiError(415, 'unsupported_media_type', `send JSON in UTF-8, not ${charset}`, [
            { path: 'headers.content-type', message: 'expected charset=utf-8' },
          ]),
        ),
        undefined,
      );
    }
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(
        httpError(new ApiError(400, 'invalid_request', 'malformed JSON: the body is not valid UTF-8', [{ path: '', message: 'body is not valid UTF-8' }])),
        undefined,
      );
    }
    // Before anything parses, walks or serializes it (JSON.stringify, zod and the twilio package recurse).
    const tooDeep = jsonTooDeep(text, MAX_JSON_DEPTH);
    if (tooDeep !== null) return done(httpError(tooDeepError(tooDeep, MAX_JSON_DEPTH)), undefined);
    // Fastify's default parser in its callback form: it answers through `done`, and returns nothing to await.
    void parseJson(request, text, done);
  });
  /** A known path asked with another method: 405 with the methods it has (RFC 9110), not a 404. */
  const methodNotAllowed = (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const path = request.url.split('?')[0];
    const allowed = METHODS.filter((method) => app.hasRoute({ method, url: path }));
    if (!allowed.length) return undefined;
    request.apiError = 'method_not_allowed';
    if (customerPage(deps, path)) return sendRequestProblem(reply.header('allow', allowed.join(', ')), 405);
    return sendError(
      reply,
      new ApiError(405, 'method_not_allowed', `${request.method} is not allowed on ${path}; use ${allowed.join(' or ')}`, [], { allow: allowed.join(', ') }),
    );
  };
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // Methods with a body (QUERY, …) on no route fail body parsing before the not-found handler runs.
    if (request.routeOptions.url === undefined) {
      const answered = methodNotAllowed(request, reply);
      if (answered) return answered;
    }
    return errorHandler(err, request, reply);
  });
  app.setNotFoundHandler((request, reply) => {
    const answered = methodNotAllowed(request, reply);
    if (answered) return answered;
    request.apiError = 'not_found';
    if (customerPage(deps, request.url)) return sendRequestProblem(reply, 404);
    return sendError(reply, new ApiError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.request(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    if (reply.statusCode >= 400) metrics.error(route, request.apiError ?? `http_${reply.statusCode}`);
  });

  const deliver = createDeliver({
    client: deps.client,
    taskQueue: deps.taskQueue,
    engine: deps.engine,
    timeoutMs: deps.api.temporalTimeoutMs,
    ...deps.deliver,
  });
  // Graceful shutdown: calls abandoned by a 503 may still be retrying inside the client.
  app.addHook('onClose', async () => deliver.drain(10_000));
  const ingest = {
    keys: createWriteKeys(deps.api.writeKeys),
    limiter: new TokenBuckets({ ...deps.api.rateLimit, now: deps.now }),
    deliver,
    metrics,
  };
  void app.register(ingestRoutes, ingest);
  void app.register(healthRoutes, { client: deps.client, timeoutMs: Math.min(2000, deps.api.temporalTimeoutMs) });
  void app.register(metricsRoutes, { metrics });
  void app.register(openApiRoutes);
  if (deps.codec) void app.register(codecRoutes, deps.codec);
  void app.register(dashboardRoutes, { store: deps.store, operatorTokens: deps.api.operatorTokens ?? [], writeKeys: deps.api.writeKeys });
  if (deps.customers) {
    const c = deps.customers;
    const customers = createCustomerAccess({
      client: deps.client,
      taskQueue: deps.taskQueue,
      engine: deps.engine,
      lookupSecret: c.lookupSecret,
      timeoutMs: deps.api.temporalTimeoutMs,
    });
    void app.register(preferenceRoutes, { customers, preferencesSecret: c.preferencesSecret });
    void app.register(unsubscribeRoutes, { customers, preferencesSecret: c.preferencesSecret });
    const twilio = { customers, authToken: c.twilioAuthToken, publicUrl: c.publicUrl };
    void app.register(twilioSmsRoutes, { ...twilio, helpText: c.smsHelpText });
    void app.register(twilioStatusRoutes, twilio);
  }
  return app;
}
