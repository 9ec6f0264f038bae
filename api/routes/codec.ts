// The codec endpoint for the Temporal Web UI and CLI (Temporal's codec-server contract): POST /codec/decode
// and /codec/encode take `{"payloads": [...]}` (payloads as protobuf JSON: metadata values and data in base64)
// and answer the same shape, run through the payload codec. The UI calls it from the browser (CORS), with the
// headers Content-Type, X-Namespace and, when "pass access token" is on, Authorization and Authorization-Extras.
//
// Access: with CODEC_AUTH_TOKEN set, every caller needs `Authorization: Bearer <token>` (the Temporal CLI:
// --codec-auth "Bearer <token>"). Without it, only loopback callers are served (a browser or CLI on this
// machine), and nothing that carries a proxy or forwarding header (Forwarded, Via, X-Forwarded-*, X-Real-IP,
// True-Client-IP, CF-Connecting-IP, …: see PROXY_HEADER). A browser page must also come from an allowed
// origin (CODEC_CORS_ORIGINS).
import type { PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createWriteKeys, parseAuthorization } from '../auth';

export interface CodecRouteDeps {
  codec: PayloadCodec;
  /** The namespace whose payloads these keys protect; a request for another (X-Namespace) is refused. */
  namespace: string;
  /** Accepted bearer tokens; empty: loopback callers only, without a token. */
  authTokens: readonly string[];
  /** Origins allowed to call from a browser (the Temporal UI). */
  corsOrigins: readonly string[];
}

export const CODEC_LIMITS = { bodyBytes: 4 * 1024 * 1024, payloads: 1000 };
/** What the Temporal UI sends (src/lib/services/data-encoder.ts). */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras';

const base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'expected base64');
const JsonPayload = z.looseObject({ metadata: z.record(z.string(), base64).nullish(), data: base64.nullish() });
const CodecRequest = z.object({ payloads: z.array(JsonPayload).max(CODEC_LIMITS.payloads) });

type Payload = temporal.api.common.v1.IPayload;
const { Payload: PayloadMessage } = temporal.api.common.v1;

/** Protobuf JSON (bytes as base64) → Payload. */
export function payloadFromJson(json: z.infer<typeof JsonPayload>): Payload {
  return PayloadMessage.fromObject(json);
}

/** Payload → protobuf JSON (bytes as base64). */
export function payloadToJson(payload: Payload): Record<string, unknown> {
  return PayloadMessage.toObject(PayloadMessage.fromObject(payload), { bytes: String });
}

const isLoopback = (ip: string | undefined): boolean => !!ip && (ip === '::1' || /^(::ffff:)?127\./.test(ip));

/** Headers that proxies, load balancers and CDNs add to say who the client is or that they passed the
 *  request on: standard (Forwarded, Via), the X-Forwarded-* family, and vendors' own (nginx X-Real-IP, Akamai
 *  and Cloudflare True-Client-IP, Cloudflare CF-Connecting-IP(v6), Fastly-Client-IP, X-Cluster-Client-IP,
 *  X-Client-IP, Client-IP, X-Originating-IP, Envoy's X-Envoy-External-Address, Azure's X-Azure-ClientIP, …).
 *  Any header named `…-ip` counts, whatever the vendor. Neither the Temporal UI nor its CLI sends any. */
const PROXY_HEADER =
  /^(forwarded|via|x-forwarded(-.+)?|x-original-forwarded-for|cf-connecting-ipv6|x-envoy-external-address|x-remote-addr|x-azure-socketip|.*client-?ip|.+-ip)$/;

/** The first proxy or forwarding header of a request, or undefined. */
export function proxyHeader(headers: Record<string, unknown>): string | undefined {
  return Object.keys(headers).find((name) => PROXY_HEADER.test(name.toLowerCase()));
}

/** Without CODEC_AUTH_TOKEN: a caller on this machine, directly (a proxy on this machine would make every
 *  remote caller look local, so a request with any proxy or forwarding header is refused). */
export function isLocalCaller(ip: string | undefined, headers: Record<string, unknown>): boolean {
  return isLoopback(ip) && proxyHeader(headers) === undefined;
}

function fail(reply: FastifyReply, status: number, error: string, message: string, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(status).headers(headers).send({ error, message, issues: [] });
}

export async function codecRoutes(app: FastifyInstance, deps: CodecRouteDeps): Promise<void> {
  const tokens = deps.authTokens.length ? createWriteKeys(deps.authTokens) : null;
  const origins = new Set(deps.corsOrigins);

  // CORS on every answer (errors included, so the UI can show them), for allowed origins only.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin && origins.has(origin)) {
      reply.headers({ 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' });
    }
  });

  const preflight = async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (!origin || !origins.has(origin))
      return fail(reply, 403, 'forbidden', `origin ${origin ?? '(none)'} may not call the codec endpoint (CODEC_CORS_ORIGINS)`);
    reply.headers({
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': '600',
      // Chrome's Private Network Access: a UI served from a public address calling this local endpoint.
      ...(request.headers['access-control-request-private-network'] === 'true' ? { 'access-control-allow-private-network': 'true' } : {}),
    });
    return reply.code(204).send();
  };

  /** Undefined when the caller may go on; otherwise the reply, already sent. */
  const refusal = (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const origin = request.headers.origin;
    if (origin && !origins.has(origin)) return fail(reply, 403, 'forbidden', `origin ${origin} may not call the codec endpoint (CODEC_CORS_ORIGINS)`);
    if (tokens) {
      const token = parseAuthorization(request.headers.authorization);
      if (token === null || tokens.verify(token) === null) {
        return fail(reply, 401, 'unauthorized', token === null ? 'send Authorization: Bearer <CODEC_AUTH_TOKEN>' : 'invalid codec token', {
          'www-authenticate': 'Bearer realm="omnijourney-codec"',
        });
      }
    } else {
      if (!isLoopback(request.ip)) {
        return fail(reply, 403, 'forbidden', 'without CODEC_AUTH_TOKEN the codec endpoint serves only callers on this machine (loopback, not through a proxy)');
      }
      const proxied = proxyHeader(request.headers);
      if (proxied !== undefined) {
        return fail(
          reply,
          403,
          'forbidden',
          `without CODEC_AUTH_TOKEN the codec endpoint serves only callers on this machine, not through a proxy, and this request carries the proxy header ${proxied} (behind a proxy, set CODEC_AUTH_TOKEN)`,
        );
      }
    }
    // The Temporal CLI sends an empty X-Namespace: that, like none, means this codec's namespace.
    const namespace = request.headers['x-namespace'];
    if (namespace && namespace !== deps.namespace) {
      return fail(reply, 403, 'forbidden', `this codec serves namespace "${deps.namespace}", not "${String(namespace)}"`);
    }
    return undefined;
  };
  // Before the body is read.
  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    const refused = refusal(request, reply);
    if (refused) return refused;
  };

  const route = (op: 'encode' | 'decode') => async (request: FastifyRequest, reply: FastifyReply) => {
    const parsed = CodecRequest.safeParse(request.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      return reply.code(400).send({
        error: 'invalid_request',
        message: `expected {"payloads": [{"metadata": {…}, "data": "<base64>"}]}: ${issues[0]?.path || '(body)'}: ${issues[0]?.message}`,
        issues,
      });
    }
    let input: Payload[];
    try {
      input = parsed.data.payloads.map(payloadFromJson);
    } catch (err) {
      return reply
        .code(400)
        .send({ error: 'invalid_request', message: `not a payload: ${(err as Error).message}`, issues: [{ path: 'payloads', message: 'not a payload' }] });
    }
    try {
      const output = op === 'decode' ? await deps.codec.decode(input) : await deps.codec.encode(input);
      return { payloads: output.map(payloadToJson) };
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, `codec ${op} failed`);
      return fail(reply, 422, `${op}_failed`, (err as Error).message);
    }
  };

  const options = { bodyLimit: CODEC_LIMITS.bodyBytes, onRequest: authorize };
  for (const op of ['decode', 'encode'] as const) {
    app.options(`/codec/${op}`, preflight);
    app.post(`/codec/${op}`, options, route(op));
  }
}
