// A local HTTP server for tests that records every request (raw body included) and answers with a
// handler the test sets: stands in for a webhook receiver, Slack, or Twilio's error answers.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'hang';

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** How to answer the next requests (default 200 "ok"). */
  answer: (req: ReceivedRequest) => Answer;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startHttpReceiver(answer: (req: ReceivedRequest) => Answer = () => ({ status: 200, body: 'ok' })): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const receiver: HttpReceiver = {
    url: '',
    requests,
    answer,
    waitFor(count, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} request(s); got ${requests.length}`)), timeoutMs);
        const check = (): void => {
          if (requests.length >= count) {
            clearTimeout(timer);
            resolve(requests.slice());
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy(); // hung requests and keep-alive connections
        server.close(() => resolve());
      }),
  };
  const reply = (res: ServerResponse, a: Answer): void => {
    if (a === 'hang') return; // never answers: the caller's timeout must fire
    const json = typeof a.body !== 'string';
    res.writeHead(a.status, { 'Content-Type': json ? 'application/json' : 'text/plain', ...a.headers });
    res.end(json ? JSON.stringify(a.body ?? {}) : a.body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      waiters.splice(0).forEach((w) => w());
      reply(res, receiver.answer(r));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** A port nothing listens on (bound, then released): connections to it are refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
