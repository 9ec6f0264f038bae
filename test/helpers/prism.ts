// Prism mocking Twilio's REST API from the vendored OpenAPI spec, for tests: the real `twilio` client
// talks HTTP to it (see activities/sms.ts). Prism listens on a free port on 127.0.0.1 and validates each
// request against the spec (`--errors`: a request the spec does not allow gets an error answer).
// In front of it runs a small recorder (`url`), so a test can read what the client sent (Prism's answers
// are canned examples and its log has no bodies). The recorder also injects faults (`inject`): it can answer
// chosen requests itself (Twilio's 429, 500, 21211 …) and pass the others through to Prism.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
export const TWILIO_SPEC = join(root, 'vendor', 'twilio-oai', 'twilio_api_v2010.json');
const PRISM_BIN = join(root, 'node_modules', '.bin', 'prism');

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** Prism's answer status, or the injected one. */
  status: number;
  /** When the request arrived (ms since the epoch). */
  at: number;
  /** Answered by the fault injector (`PrismServer.inject`), not by Prism. */
  injected: boolean;
}

/** An answer the recorder gives itself instead of passing the request to Prism. */
export interface InjectedAnswer {
  status: number;
  /** JSON-encoded unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Decides per request: an answer to give instead of Prism's, or undefined to pass it through. */
export type FaultInjector = (request: RecordedRequest, form: URLSearchParams) => InjectedAnswer | undefined;

export interface PrismServer {
  /** The recorder in front of Prism, e.g. http://127.0.0.1:41234 — the value for TWILIO_API_BASE_URL. */
  url: string;
  /** Prism itself. */
  prismUrl: string;
  /** What went through the recorder, with bodies and Prism's status, in order. */
  recorded: RecordedRequest[];
  /** Every request Prism logged as received, in order: "POST /2010-04-01/Accounts/AC…/Messages.json". */
  requests: string[];
  /** Prism's own log, for failure messages. */
  log: string[];
  /** Fault injection: from now on the recorder asks `injector` first (undefined: everything goes to Prism). */
  inject(injector: FaultInjector | undefined): void;
  stop(): Promise<void>;
}

/** A Twilio REST error body (https://www.twilio.com/docs/api/errors), as the twilio client parses it. */
export function twilioError(status: number, code: number, message: string): InjectedAnswer {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

/** Answers the first `answers.length` requests that `match` with those answers, in order, then passes the
 *  rest through: "Twilio says 429, then 500, then works". */
export function failFirst(match: (form: URLSearchParams, request: RecordedRequest) => boolean, answers: InjectedAnswer[]): FaultInjector {
  let n = 0;
  return (request, form) => (match(form, request) && n < answers.length ? answers[n++] : undefined);
}

/** Combines injectors: the first that answers wins. */
export function injectors(...list: FaultInjector[]): FaultInjector {
  return (request, form) => {
    for (const f of list) {
      const a = f(request, form);
      if (a) return a;
    }
    return undefined;
  };
}

// Prism's log lines carry colour codes and a timestamp; strip the colours before matching.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

export async function startPrism(options: { port?: number; timeoutMs?: number } = {}): Promise<PrismServer> {
  const { port = 0, timeoutMs = 60_000 } = options;
  const proc: ChildProcess = spawn(PRISM_BIN, ['mock', '--errors', '-h', '127.0.0.1', '-p', String(port), TWILIO_SPEC], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  const log: string[] = [];
  const requests: string[] = [];
  let onLine: ((line: string) => void) | undefined;
  const collect = (chunk: Buffer): void => {
    for (const raw of chunk.toString().split('\n')) {
      const line = raw.replace(ANSI, '').trim();
      if (!line) continue;
      // Route listing at start-up is hundreds of lines; keep the request log and anything else.
      if (!/\[CLI\].*info\s+(GET|POST|PUT|DELETE|PATCH)\s+http/.test(line)) log.push(line);
      const req = /\[HTTP SERVER\]\s+(\w+)\s+(\S+)\s+.*Request received/.exec(line);
      if (req) requests.push(`${req[1].toUpperCase()} ${req[2]}`);
      onLine?.(line);
    }
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);

  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`Prism did not start within ${timeoutMs / 1000}s:\n${log.slice(-20).join('\n')}`)), timeoutMs);
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      onLine = undefined;
      proc.kill('SIGKILL');
      reject(err);
    };
    onLine = (line) => {
      const m = /Prism is listening on (http:\/\/\S+)/.exec(line);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        onLine = undefined;
        resolve(m[1].replace(/\/$/, ''));
      }
    };
    proc.once('error', fail);
    proc.once('exit', (code, signal) => fail(new Error(`Prism exited (${signal ?? code}) before listening:\n${log.slice(-20).join('\n')}`)));
  });

  const stopPrism = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  try {
    recorder = await startRecorder(url);
  } catch (err) {
    await stopPrism();
    throw err;
  }
  return {
    url: recorder.url,
    prismUrl: url,
    recorded: recorder.recorded,
    requests,
    log,
    inject: (injector) => void (recorder.injector.current = injector),
    async stop() {
      await new Promise<void>((resolve) => recorder.server.close(() => resolve()));
      await stopPrism();
    },
  };
}

/** Forwards every request to `target` unchanged and records it with the answer's status; a fault injector,
 *  when set, may answer a request itself instead (recorded with `injected: true`). */
async function startRecorder(
  target: string,
): Promise<{ server: Server; url: string; recorded: RecordedRequest[]; injector: { current: FaultInjector | undefined } }> {
  const recorded: RecordedRequest[] = [];
  const injector: { current: FaultInjector | undefined } = { current: undefined };
  const t = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const at = Date.now();
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody: body.toString('utf8'),
        status: 0,
        at,
        injected: false,
      };
      const answer = injector.current?.(entry, new URLSearchParams(entry.rawBody));
      if (answer) {
        Object.assign(entry, { status: answer.status, injected: true });
        recorded.push(entry);
        const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
        res.writeHead(answer.status, { 'Content-Type': typeof answer.body === 'string' ? 'text/plain' : 'application/json', ...answer.headers });
        res.end(text);
        return;
      }
      const upstream = httpRequest(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host, connection: 'close' } },
        (up) => {
          entry.status = up.statusCode ?? 0;
          recorded.push(entry);
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', (err) => {
        entry.status = 502;
        recorded.push(entry);
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`recorder: Prism unreachable: ${err.message}`);
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, recorded, injector };
}
