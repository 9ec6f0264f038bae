// The operator dashboard: GET /dashboard (every journey with facts, with its numbers) and
// GET /dashboard/journeys/:name (one journey's funnel, splits, messages and deliveries; `?since=&until=` ISO),
// rendered on the server by reporting/dashboardHtml.ts from the facts in PostgreSQL (reporting/report.ts).
//
// Access: an operator token (OPERATOR_TOKENS). A browser without JavaScript cannot send a header, so a GET
// without credentials shows a sign-in form; POST /dashboard/login checks the token and sets a session cookie
// (HttpOnly, SameSite=Strict, Path=/dashboard) and redirects back with a 303. The cookie holds an expiry and an
// HMAC of it keyed by the token, never the token: it is checked against every configured token, so it works
// on every API instance, survives a restart, and dies with its token when OPERATOR_TOKENS drops it.
// `Authorization: Bearer <token>` works too (curl). A write key is never an operator token, even if someone
// configured the same string as both. Tokens are compared as SHA-256 hashes in constant time (api/auth.ts).
//
// Without a store (DATABASE_URL unset) every dashboard route answers 503 and says so. The API never migrates:
// until the worker has created the facts table the dashboard says "no facts yet".
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { DASHBOARD_CSS, DASHBOARD_PATH, renderJourney, renderJourneyList, renderLogin, renderNotice } from '../../reporting/dashboardHtml';
import { buildReport, listJourneys, windowBound } from '../../reporting/report';
import type { ReportWindow } from '../../reporting/types';
import { createWriteKeys, readAuthorization } from '../auth';
import { addFormParser, field } from '../forms';
import { TokenBuckets } from '../rateLimit';
import { htmlPageHeaders } from '../html';

export interface DashboardRouteDeps {
  /** The facts store; unset: facts are off and the dashboard answers 503. */
  store?: { db: Pick<Pool, 'query'> };
  operatorTokens: readonly string[];
  /** Refused at the dashboard even when also listed as an operator token. */
  writeKeys: readonly string[];
  /** Clock of the session cookie's expiry (ms). */
  now?: () => number;
}

/** Sign-in attempts per client address: 20 at once, then one every 3 s. A token is a long random secret that no
 *  rate makes guessable; this keeps one client from trying thousands a minute, and the buckets bounded. */
export const LOGIN_ATTEMPTS = { perSecond: 1 / 3, burst: 20, maxKeys: 10_000 };

export const SESSION_COOKIE = 'oj_dashboard';
/** A sign-in lasts a working day. */
export const SESSION_SECONDS = 8 * 3600;
const SESSION_CONTEXT = 'omnijourney dashboard session v1';

export const DASHBOARD_HEADERS: Record<string, string> = htmlPageHeaders(DASHBOARD_CSS);

export interface OperatorAuth {
  /** Whether a candidate is an operator token (and not a write key). */
  verifyToken(candidate: string): boolean;
  /** The cookie value for a verified token: `<expiry seconds>.<HMAC-SHA256(token, context + expiry)>`. */
  issueSession(token: string): string;
  verifySession(value: string): boolean;
}

const mac = (token: string, expiry: string): Buffer => createHmac('sha256', token).update(`${SESSION_CONTEXT}:${expiry}`).digest();

export function createOperatorAuth(operatorTokens: readonly string[], writeKeys: readonly string[], now: () => number = Date.now): OperatorAuth {
  const operators = operatorTokens.length ? createWriteKeys(operatorTokens) : null;
  const writes = writeKeys.length ? createWriteKeys(writeKeys) : null;
  // A token that is also a write key signs no session either.
  const signing = operatorTokens.filter((t) => !writeKeys.includes(t));
  return {
    verifyToken(candidate) {
      // Both checks always run: the time taken says nothing about which one failed.
      const operator = operators?.verify(candidate) ?? null;
      const writeKey = writes?.verify(candidate) ?? null;
      return operator !== null && writeKey === null;
    },
    issueSession(token) {
      const expiry = String(Math.floor(now() / 1000) + SESSION_SECONDS);
      return `${expiry}.${mac(token, expiry).toString('base64url')}`;
    },
    verifySession(value) {
      const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
      if (!m) return false;
      const [, expiry, sig] = m;
      const seconds = Number(expiry);
      const nowSeconds = now() / 1000;
      if (seconds <= nowSeconds || seconds > nowSeconds + SESSION_SECONDS + 60) return false;
      const candidate = Buffer.from(sig, 'base64url');
      let ok = false;
      // No early exit: every token's MAC is computed and compared.
      for (const token of signing) if (timingSafeEqual(mac(token, expiry), candidate)) ok = true;
      return ok;
    },
  };
}

/** The values of a cookie in a Cookie header (a browser may send the same name twice, for different paths). */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
}

/** Where the login form may send the operator back to: a dashboard path of this server, nothing else. */
export function safeNext(next: string | undefined): string {
  if (!next || next.length > 2048 || !/^\/dashboard(\/[^/\\]|\?|$)/.test(next) || /[\\\s]|\/\//.test(next)) return DASHBOARD_PATH;
  return next;
}

/** `?since=&until=` as a ReportWindow of ISO instants, read as `omnijourney report --since/--until` reads them (an
 *  ISO date or time, UTC unless it names a zone, or an offset back from now: 30d, 12h). Empty is unset. */
export function parseWindow(query: unknown, now: number = Date.now()): ReportWindow | { problem: string } {
  const q = (query ?? {}) as Record<string, unknown>;
  const window: ReportWindow = {};
  for (const name of ['since', 'until'] as const) {
    const raw = q[name];
    if (raw === undefined || raw === '') continue;
    try {
      if (typeof raw !== 'string') throw new RangeError('given twice');
      window[name] = windowBound(raw, now);
    } catch {
      return { problem: `${name} must be one ISO date or time, such as 2026-11-01 or 2026-11-01T09:00Z, or an offset back from now, such as 7d or 12h.` };
    }
  }
  if (window.since && window.until && window.since >= window.until) return { problem: 'since must be before until.' };
  return window;
}

const html = (reply: FastifyReply, status: number, body: string): FastifyReply => reply.code(status).headers(DASHBOARD_HEADERS).send(body);

const isSecure = (request: FastifyRequest): boolean => request.protocol === 'https' || /^https\b/i.test(String(request.headers['x-forwarded-proto'] ?? ''));

function sessionCookie(request: FastifyRequest, value: string, maxAge: number): string {
  return `${SESSION_COOKIE}=${value}; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${isSecure(request) ? '; Secure' : ''}`;
}

function factsOff(reply: FastifyReply): FastifyReply {
  return html(
    reply.header('retry-after', '3600'),
    503,
    renderNotice('Facts are off', [
      'The dashboard draws journeys from their facts in PostgreSQL, and this API has no database.',
      'Set DATABASE_URL (postgres://user:password@host:5432/database) for the API and the worker, then restart them. npm start does this for you.',
    ]),
  );
}

type Access = 'granted' | 'none' | 'refused';

function access(auth: OperatorAuth, request: FastifyRequest): Access {
  if (request.headers.authorization !== undefined) {
    const a = readAuthorization(request.headers.authorization);
    return a && 'key' in a && auth.verifyToken(a.key) ? 'granted' : 'refused';
  }
  const sessions = cookieValues(request.headers.cookie, SESSION_COOKIE);
  return sessions.some((s) => auth.verifySession(s)) ? 'granted' : 'none';
}

/** A store that is not there yet (the worker migrates) or not reachable: a page that says which, else rethrow. */
function storeProblem(err: unknown): { status: number; title: string; text: string[] } | undefined {
  const code = (err as { code?: string }).code;
  if (code === '42P01') {
    return {
      status: 200,
      title: 'No facts yet',
      text: [
        'The facts table does not exist yet: the worker creates it when it starts with DATABASE_URL set, and journeys show here once it has recorded runs.',
      ],
    };
  }
  if (code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|57P0[123]|08\d\d\d|53300)$/.test(code)) {
    return { status: 503, title: 'The facts store is not reachable', text: ['PostgreSQL (DATABASE_URL) did not answer. Try again in a moment.'] };
  }
  if (err instanceof Error && /timeout exceeded when trying to connect|Connection terminated/i.test(err.message)) {
    return { status: 503, title: 'The facts store is not reachable', text: ['PostgreSQL (DATABASE_URL) did not answer. Try again in a moment.'] };
  }
  return undefined;
}

export async function dashboardRoutes(app: FastifyInstance, deps: DashboardRouteDeps): Promise<void> {
  const auth = createOperatorAuth(deps.operatorTokens, deps.writeKeys, deps.now);
  addFormParser(app, 4096);
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return html(reply, err.statusCode, renderNotice('This request was not understood', ['Open the dashboard again and use its forms.']));
    }
    const problem = storeProblem(err);
    if (problem) {
      if (problem.status === 503) reply.header('retry-after', '30');
      return html(reply, problem.status, renderNotice(problem.title, problem.text, { signedIn: true }));
    }
    request.log.error({ err }, 'dashboard failed');
    return html(reply, 500, renderNotice('Something went wrong', ['The dashboard could not be shown. The API log has the details.'], { signedIn: true }));
  });
  const db = deps.store?.db;
  // Before any route's own hooks: without a store there is nothing to sign in to.
  if (!db) app.addHook('onRequest', async (_request, reply) => factsOff(reply));

  /** Runs before a page: the login form (401) unless the caller is an operator. */
  const operatorOnly = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const a = access(auth, request);
    if (a === 'granted') return;
    if (cookieValues(request.headers.cookie, SESSION_COOKIE).length) reply.header('set-cookie', sessionCookie(request, '', 0));
    await html(
      reply.header('www-authenticate', 'Bearer realm="omnijourney dashboard"'),
      401,
      renderLogin({ next: safeNext(request.url), refused: a === 'refused' }),
    );
  };

  app.get('/dashboard', { onRequest: operatorOnly }, async (request, reply) => {
    const window = parseWindow(request.query);
    if ('problem' in window) return html(reply, 400, renderNotice('This time window is not valid', [window.problem], { signedIn: true }));
    if (!db) return factsOff(reply);
    const summaries = await listJourneys(db, window);
    return html(reply, 200, renderJourneyList(summaries, window));
  });

  app.get<{ Params: { name: string } }>('/dashboard/journeys/:name', { onRequest: operatorOnly }, async (request, reply) => {
    const window = parseWindow(request.query);
    if ('problem' in window) return html(reply, 400, renderNotice('This time window is not valid', [window.problem], { signedIn: true }));
    if (!db) return factsOff(reply);
    const report = await buildReport(db, request.params.name, window);
    return html(reply, 200, renderJourney(report));
  });

  const attempts = new TokenBuckets(LOGIN_ATTEMPTS);
  app.post('/dashboard/login', async (request, reply) => {
    const allowed = attempts.take(request.ip, 1);
    if (!allowed.ok) {
      const wait = allowed.retryAfterSeconds;
      return html(reply.header('retry-after', String(wait)), 429, renderNotice('Too many sign-in attempts', [`Wait ${wait} seconds, then sign in again.`]));
    }
    const token = field(request.body, 'token') ?? '';
    const next = safeNext(field(request.body, 'next'));
    if (!token || token.length > 1024 || !auth.verifyToken(token)) return html(reply, 401, renderLogin({ next, refused: true }));
    return reply
      .code(303)
      .header('set-cookie', sessionCookie(request, auth.issueSession(token), SESSION_SECONDS))
      .header('cache-control', 'no-store')
      .header('location', next)
      .send();
  });

  app.post('/dashboard/logout', async (request, reply) =>
    reply
      .code(303)
      .header('set-cookie', sessionCookie(request, '', 0))
      .header('cache-control', 'no-store')
      .header('location', DASHBOARD_PATH)
      .send(),
  );
}
