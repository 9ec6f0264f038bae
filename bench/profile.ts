// Where the milliseconds of one e2e message go (issue 18): CPU time per message of each process, history
// events and workflow tasks per message, the dev server's disk writes, the event timeline of single
// messages at low load, and (with --cpu-prof) a CPU profile of the engine worker grouped by module.
//
//   npx tsx bench/profile.ts                      engine, then baseline, 200 messages each at 4/s (~4 min)
//   npx tsx bench/profile.ts --cpu-prof           the same with the engine worker under `node --cpu-prof`
//   npx tsx bench/profile.ts --rate 4 --messages 200 --strace 40 --out profile.json
//
// The same infrastructure as `npm run bench` (bench/infra.ts: loopback only, everything stopped at the end).
// CPU is read from /proc (utime + stime, per thread for the engine worker) before and after each phase,
// so other processes on the machine do not count; their load shows in the machine's busy CPU and the load
// average, which are printed too. See docs/benchmarks.md, "Where one message's milliseconds go".
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { temporal } from '@temporalio/proto';
import { temporal as proto } from '@temporalio/proto';
import { eventTypeName } from './cost';
import { sender } from './e2e';
import { startInfra, stopEverything, type Infra } from './infra';
import { openLoop, percentiles, round, sleep, waitUntil } from './load';
import { progress } from './report';
import { benchAddress } from './sink';

type History = temporal.api.history.v1.IHistory;
type Side = 'engine' | 'baseline';
const ET = proto.api.enums.v1.EventType;
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

interface Args {
  rate: number;
  messages: number;
  latencyMessages: number;
  /** Messages per side with strace counting the dev server's fsync/fdatasync/pwrite64 (0: skip). */
  strace: number;
  cpuProf: boolean;
  out?: string;
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { rate: 4, messages: 200, latencyMessages: 10, strace: 40, cpuProf: false, keep: false };
  const num = (v: string | undefined, name: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 100_000) throw new Error(`${name} takes a number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rate') args.rate = num(argv[++i], a);
    else if (a === '--messages') args.messages = num(argv[++i], a);
    else if (a === '--latency-messages') args.latencyMessages = num(argv[++i], a);
    else if (a === '--strace') args.strace = num(argv[++i], a);
    else if (a === '--cpu-prof') args.cpuProf = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--out') args.out = argv[++i];
    else
      throw new Error(
        `unknown argument ${a}; usage: npx tsx bench/profile.ts [--rate 4] [--messages 200] [--latency-messages 10] [--strace 40] [--cpu-prof] [--out f.json] [--keep]`,
      );
  }
  if (args.rate <= 0 || args.messages < 1) throw new Error('--rate and --messages must be positive');
  return args;
}

// ---- /proc readers --------------------------------------------------------------------------------------

/** utime + stime of a /proc stat line, ms (fields 14 and 15; the name in parentheses may hold spaces). */
function statCpuMs(line: string): { name: string; ms: number; ppid: number } {
  const name = line.slice(line.indexOf('(') + 1, line.lastIndexOf(')'));
  const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
  return { name, ppid: Number(f[1]), ms: (Number(f[11]) + Number(f[12])) * TICK_MS };
}

const readOr = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** CPU ms of a process and its descendants (the dev server and PostgreSQL run helpers). */
function treeCpuMs(root: number): number {
  const procs = new Map<number, { ppid: number; ms: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = readOr(`/proc/${d}/stat`);
    if (s) procs.set(Number(d), statCpuMs(s));
  }
  let sum = 0;
  const visit = (pid: number) => {
    const p = procs.get(pid);
    if (!p) return;
    sum += p.ms;
    for (const [child, c] of procs) if (c.ppid === pid) visit(child);
  };
  visit(root);
  return sum;
}

/** CPU ms of this process alone (its children are the servers and workers measured on their own). */
const ownCpuMs = (): number => statCpuMs(readFileSync('/proc/self/stat', 'utf8')).ms;

/** CPU ms per thread of a process, keyed "name" (the main thread is "main"; threads of one name summed). */
function threadCpuMs(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const s = readOr(`/proc/${pid}/task/${tid}/stat`);
    if (!s) continue;
    const t = statCpuMs(s);
    // Node's own threads (the workflow thread, V8's platform workers) are all named "node": one key each.
    const key = Number(tid) === pid ? 'main' : t.name === 'node' ? `node#${tid}` : t.name;
    out[key] = (out[key] ?? 0) + t.ms;
  }
  return out;
}

/** /proc/<pid>/io: write_bytes (to the block layer), syscw (write-type syscalls, sockets included). */
function procIo(pid: number): Record<string, number> {
  const text = readOr(`/proc/${pid}/io`) ?? '';
  return Object.fromEntries(text.split('\n').flatMap((l) => (l.includes(':') ? [[l.split(':')[0], Number(l.split(':')[1])]] : [])));
}

/** Busy and total CPU ms of the whole machine (/proc/stat "cpu" line). */
function machineCpuMs(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0) * TICK_MS;
  return { busy: total - (f[3] + f[4]) * TICK_MS, total };
}

interface Snapshot {
  at: number;
  hrUs: number;
  processes: Record<string, number>;
  workerThreads: Record<string, number>;
  serverIo: Record<string, number>;
  machine: { busy: number; total: number };
}

function pids(infra: Infra): Record<string, number | undefined> {
  return {
    'engine worker': infra.engineWorker.pid,
    'Temporal dev server': infra.temporal.pid(),
    'ingest API (e2e)': infra.api.proc.pid,
    'baseline worker': infra.baselineWorker.pid,
    'PostgreSQL (facts)': infra.facts?.postgres.pid(),
    'bench process (load, client, SMTP sink)': process.pid,
  };
}

function snapshot(infra: Infra): Snapshot {
  const processes: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids(infra))) if (pid) processes[name] = pid === process.pid ? ownCpuMs() : treeCpuMs(pid);
  return {
    at: performance.now(),
    hrUs: Number(process.hrtime.bigint() / 1000n),
    processes,
    workerThreads: threadCpuMs(infra.engineWorker.pid),
    serverIo: procIo(infra.temporal.pid() ?? 0),
    machine: machineCpuMs(),
  };
}

interface CpuDelta {
  seconds: number;
  /** CPU ms per process over the phase. */
  processMs: Record<string, number>;
  workerThreadMs: Record<string, number>;
  serverIo: Record<string, number>;
  machineBusyMs: number;
  /** Busy CPU of processes other than the bench's (other engineers' load), ms. */
  othersMs: number;
}

function delta(a: Snapshot, b: Snapshot): CpuDelta {
  const diff = (x: Record<string, number>, y: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.keys(y).flatMap((k) => (y[k] !== x[k] ? [[k, round((y[k] ?? 0) - (x[k] ?? 0), 0)]] : [])));
  const processMs = diff(a.processes, b.processes);
  const ourMs = Object.values(processMs).reduce((sum, v) => sum + v, 0);
  const machineBusyMs = round(b.machine.busy - a.machine.busy, 0);
  return {
    seconds: round((b.at - a.at) / 1000, 2),
    processMs,
    workerThreadMs: diff(a.workerThreads, b.workerThreads),
    serverIo: diff(a.serverIo, b.serverIo),
    machineBusyMs,
    othersMs: round(machineBusyMs - ourMs, 0),
  };
}

const perMessage = (o: Record<string, number>, n: number) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v / n, 1)]));

// ---- load -----------------------------------------------------------------------------------------------

let groupSeq = 0;

const workflowIds = (side: Side, group: string, i: number): string[] =>
  side === 'engine' ? [`customer:${group}-${i}`, `journey:welcome:${group}-${i}`] : [`baseline-${group}-${i}`];

/** Offers `n` messages at `rate`/s (open loop), waits until all arrived and the workflows settled. */
async function offer(infra: Infra, side: Side, rate: number, n: number, tag: string) {
  const group = `prof${++groupSeq}${tag}`;
  const load = openLoop(rate, n / rate, sender(infra, side, group));
  await load.answered();
  const failed = load.calls.filter((c) => c.error);
  if (failed.length) throw new Error(`${side}: ${failed.length} of ${n} messages refused: ${failed[0].error}`);
  if (!(await waitUntil(() => infra.sink.count(group) >= n, 180_000, 50))) throw new Error(`${side}: only ${infra.sink.count(group)} of ${n} mails arrived`);
  // After the mail: the activity's completion, deliveryResult to the journey, its waitFor timer.
  await sleep(1500);
  return { group, calls: load.calls };
}

async function histories(infra: Infra, side: Side, group: string, n: number): Promise<History[]> {
  const ids = Array.from({ length: n }, (_, i) => workflowIds(side, group, i)).flat();
  const out: History[] = [];
  for (let i = 0; i < ids.length; i += 20)
    out.push(...(await Promise.all(ids.slice(i, i + 20).map((id) => infra.client.workflow.getHandle(id).fetchHistory()))));
  return out;
}

function historyCounts(hs: History[], n: number) {
  let events = 0;
  let tasks = 0;
  for (const h of hs)
    for (const e of h.events ?? []) {
      events += 1;
      if (e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) tasks += 1;
    }
  return { historyEventsPerMessage: round(events / n, 1), workflowTasksPerMessage: round(tasks / n, 2) };
}

// ---- strace of the dev server's disk syscalls -----------------------------------------------------------

async function straceDuring<T>(pid: number, run: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> } | undefined> {
  const out = join(os.tmpdir(), `omnijourney-strace-${process.pid}-${++groupSeq}.txt`);
  const child = spawn('strace', ['-c', '-f', '--seccomp-bpf', '-e', 'trace=fsync,fdatasync,pwrite64,pwritev,write', '-o', out, '-p', String(pid)], {
    stdio: 'ignore',
  });
  const ok = await new Promise<boolean>((r) => {
    child.once('error', () => r(false));
    setTimeout(() => r(child.exitCode === null), 1000);
  });
  if (!ok) return undefined;
  const result = await run();
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  const calls: Record<string, number> = {};
  for (const line of (readOr(out) ?? '').split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2] !== 'total') calls[m[2]] = Number(m[1]);
  }
  rmSync(out, { force: true });
  return { result, calls };
}

// ---- the timeline of single messages --------------------------------------------------------------------

interface TimelineRow {
  ms: number;
  what: string;
}

const eventMs = (e: temporal.api.history.v1.IHistoryEvent) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

function label(wf: string, e: temporal.api.history.v1.IHistoryEvent): string {
  const signal = e.workflowExecutionSignaledEventAttributes?.signalName ?? e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName;
  const activity = e.activityTaskScheduledEventAttributes?.activityType?.name;
  const child = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name;
  const extra = signal ?? activity ?? child;
  return `${wf}: ${eventTypeName(e.eventType)}${extra ? ` (${extra})` : ''}`;
}

/** Sums of the workflow-task and activity segments of one message, from its histories. */
function segments(hs: Array<[string, History]>) {
  const s = { tasks: 0, taskQueuedMs: 0, taskInWorkerMs: 0, activityQueuedMs: 0, activityRunMs: 0 };
  for (const [, h] of hs) {
    const byId = new Map((h.events ?? []).map((e) => [Number(e.eventId), e]));
    /** ms from the event `earlierId` names to `e` (0 when that event is not in the history). */
    const since = (e: temporal.api.history.v1.IHistoryEvent, earlierId: unknown): number => {
      const earlier = byId.get(Number(earlierId));
      return earlier ? eventMs(e) - eventMs(earlier) : 0;
    };
    for (const e of h.events ?? []) {
      if (e.workflowTaskStartedEventAttributes) s.taskQueuedMs += since(e, e.workflowTaskStartedEventAttributes.scheduledEventId);
      if (e.workflowTaskCompletedEventAttributes) {
        s.tasks += 1;
        s.taskInWorkerMs += since(e, e.workflowTaskCompletedEventAttributes.startedEventId);
      }
      if (e.activityTaskStartedEventAttributes) s.activityQueuedMs += since(e, e.activityTaskStartedEventAttributes.scheduledEventId);
      if (e.activityTaskCompletedEventAttributes) s.activityRunMs += since(e, e.activityTaskCompletedEventAttributes.startedEventId);
    }
  }
  return s;
}

/** `n` messages one at a time (each after the previous one's mail and a pause): the timeline of each. */
async function timelines(infra: Infra, side: Side, n: number) {
  const group = `prof${++groupSeq}${side === 'engine' ? 'le' : 'lb'}`;
  const send = sender(infra, side, group);
  const epoch = (t: number) => performance.timeOrigin + t;
  const runs: Array<{ sent: number; accepted: number; received: number; rows: TimelineRow[]; seg: ReturnType<typeof segments> }> = [];
  for (let i = 0; i < n; i++) {
    const sent = performance.now();
    await send(i);
    const accepted = performance.now();
    if (!(await waitUntil(() => infra.sink.count(group) > i, 30_000, 5))) throw new Error(`${side}: timeline message ${i} did not arrive`);
    const received = infra.sink.arrivals(benchAddress(group, i))?.[0] ?? NaN;
    await sleep(1000);
    const hs = await Promise.all(
      workflowIds(side, group, i).map(async (id) => [id.split(':')[0], await infra.client.workflow.getHandle(id).fetchHistory()] as [string, History]),
    );
    const t0 = epoch(sent);
    const rows: TimelineRow[] = [
      { ms: 0, what: side === 'engine' ? 'bench: POST /v1/batch sent' : 'bench: signalWithStart sent' },
      { ms: accepted - sent, what: side === 'engine' ? 'bench: API answered 200' : 'bench: signalWithStart returned' },
      { ms: received - sent, what: 'SMTP sink: end of DATA' },
    ];
    for (const [wf, h] of hs) for (const e of h.events ?? []) rows.push({ ms: eventMs(e) - t0, what: label(wf, e) });
    rows.sort((a, b) => a.ms - b.ms);
    runs.push({ sent, accepted, received, rows: rows.map((r) => ({ ms: round(r.ms, 1), what: r.what })), seg: segments(hs) });
  }
  const byLatency = [...runs].sort((a, b) => a.received - a.accepted - (b.received - b.accepted));
  const median = byLatency[Math.floor((byLatency.length - 1) / 2)];
  const med = (f: (r: (typeof runs)[number]) => number) => percentiles(runs.map(f)).p50;
  return {
    messages: n,
    acceptedToReceivedMs: percentiles(runs.map((r) => r.received - r.accepted)),
    sentToReceivedMs: percentiles(runs.map((r) => r.received - r.sent)),
    medianOf: {
      workflowTasks: med((r) => r.seg.tasks),
      taskQueuedMs: med((r) => r.seg.taskQueuedMs),
      taskInWorkerMs: med((r) => r.seg.taskInWorkerMs),
      activityQueuedMs: med((r) => r.seg.activityQueuedMs),
      activityRunMs: med((r) => r.seg.activityRunMs),
    },
    medianMessage: median.rows.map((r, i, all) => ({ ...r, gapMs: i ? round(r.ms - all[i - 1].ms, 1) : 0 })),
  };
}

// ---- the CPU profile ------------------------------------------------------------------------------------

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** generated line → sorted [column, source index] of a source map's mappings (VLQ), enough to name the
 *  source file of a position in the workflow bundle. */
function decodeMappings(mappings: string): Array<Array<[number, number]>> {
  const lines: Array<Array<[number, number]>> = [];
  let src = 0;
  for (const line of mappings.split(';')) {
    const segs: Array<[number, number]> = [];
    let col = 0;
    for (const seg of line.split(',')) {
      if (!seg) continue;
      const vals: number[] = [];
      let shift = 0;
      let v = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        v += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          vals.push(v & 1 ? -(v >>> 1) : v >>> 1);
          v = 0;
          shift = 0;
        }
      }
      col += vals[0];
      if (vals.length >= 4) {
        src += vals[1]; // the source line and column (vals[2], vals[3]) are not needed
        segs.push([col, src]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

/** Groups a profile frame into the buckets issue 18 asks about. */
function groupOf(url: string, fn: string, source?: string): string {
  if (fn === '(garbage collector)') return 'V8 garbage collector';
  if (fn === '(program)') return 'V8/native, unattributed ((program))';
  const u = source ?? url;
  if (source !== undefined) {
    if (/node_modules\/zod\//.test(u)) return 'zod (in workflows)';
    if (/@temporalio\/(workflow|common)/.test(u)) return 'Temporal workflow runtime (in the VM)';
    if (/(^|\/)journeys\//.test(u)) return 'our journeys/';
    if (/(^|\/)workflows\//.test(u)) return 'our workflows/';
    if (/(^|\/)(sdk|domain)\//.test(u)) return 'our sdk/ and domain/ (in workflows)';
    return `other bundled code (${u.replace(/^.*node_modules\//, '').split('/')[0]})`;
  }
  if (fn === 'runInContext') return 'vm runInContext (each call into the workflow VM: its timeout watchdog, microtasks)';
  if (fn === 'postMessage' || /node:internal\/worker/.test(u)) return 'thread messaging (postMessage)';
  if (/workflow-bundle-/.test(u)) return 'workflow bundle (unmapped)';
  if (/evalmachine/.test(u)) return 'Temporal workflow thread host (vm, activations)';
  if (/@temporalio\/worker\/lib\/workflow\//.test(u)) return 'Temporal workflow thread host (vm, activations)';
  if (/@temporalio\/(worker|core-bridge|client)\//.test(u)) return 'Temporal worker (JS side of the core bridge)';
  if (/protobufjs|@temporalio\/proto\//.test(u)) return 'protobuf encode/decode';
  if (/@temporalio\/common\//.test(u)) return 'Temporal payload conversion (@temporalio/common)';
  if (/privacy\/codec|node:internal\/crypto/.test(u)) return 'payload codec (AES-GCM)';
  if (/node_modules\/zod\//.test(u)) return 'zod (main thread)';
  if (/\/facts\/|worker\/facts|\/store\/|node_modules\/pg/.test(u)) return 'facts (sink, spool, shipper, pg)';
  if (/node_modules\/(nodemailer|smtp)/.test(u)) return 'activity: nodemailer';
  if (/node_modules\/(mjml|liquidjs|html-minifier|juice|cheerio|htmlparser2|domhandler|js-beautify|css-select|entities|parse5)/.test(u))
    return 'activity: render (Liquid, MJML)';
  const ours = /^file:\/\/.*?\/(activities|worker|channels|config|privacy|client|domain|sdk|templates|render)\/[^/]+\.ts/.exec(u);
  if (ours) return `our ${ours[1]}/ (main thread)`;
  if (/node_modules\/(tsx|esbuild|get-tsconfig)/.test(u)) return 'tsx (loading TypeScript)';
  if (u.startsWith('node:')) return 'Node internals (net, streams, timers, …)';
  if (u === '') return `V8/native (${fn || 'anonymous'})`;
  return `other (${u.replace(/^.*node_modules\//, '').split('/')[0]})`;
}

export function summariseProfile(file: string, fromUs: number, toUs: number, bundle: { code: string } | undefined, n: number) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  // The bundle's source map is inline, at the end of its code (the `sourceMap` field is a placeholder).
  const inline = bundle ? /sourceMappingURL=data:application\/json[^,]*;base64,([A-Za-z0-9+/=]+)\s*$/.exec(bundle.code)?.[1] : undefined;
  const map = inline ? (JSON.parse(Buffer.from(inline, 'base64').toString('utf8')) as { sources: string[]; mappings: string }) : undefined;
  const lines = map ? decodeMappings(map.mappings) : [];
  const sourceOf = (line: number, col: number): string | undefined => {
    const segs = lines[line];
    if (!map || !segs?.length) return undefined;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid][0] <= col) lo = mid;
      else hi = mid - 1;
    }
    return map.sources[segs[lo][1]];
  };
  const nodes = new Map(p.nodes.map((nd) => [nd.id, nd.callFrame]));
  const groupMs: Record<string, number> = {};
  const fnMs: Record<string, number> = {};
  let t = p.startTime;
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const w = (p.timeDeltas[i + 1] ?? 1000) / 1000;
    const cf = nodes.get(p.samples[i]);
    if (!cf || cf.functionName === '(idle)') continue;
    const inBundle = /workflow-bundle-/.test(cf.url);
    const source = inBundle ? sourceOf(cf.lineNumber, cf.columnNumber) : undefined;
    const g = groupOf(cf.url, cf.functionName, source === undefined ? undefined : source.replace(/^webpack:\/\/[^/]*\//, ''));
    groupMs[g] = (groupMs[g] ?? 0) + w;
    const where = (source ?? cf.url)
      .replace(/^.*node_modules\//, '')
      .replace(/^webpack:\/\/[^/]*\//, '')
      .replace(/^file:\/\/.*?\/main\//, '');
    const f = `${cf.functionName || '(anonymous)'} ${where}${where ? `:${cf.lineNumber + 1}` : ''}`;
    fnMs[f] = (fnMs[f] ?? 0) + w;
    busy += w;
  }
  const rank = (o: Record<string, number>, k: number) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, ms]) => ({ name, msPerMessage: round(ms / n, 2), percent: round((100 * ms) / busy, 1) }));
  return { file, sampledBusyMs: round(busy, 0), msPerMessage: round(busy / n, 1), groups: rank(groupMs, 40), topFunctions: rank(fnMs, 25) };
}

// ---- main -----------------------------------------------------------------------------------------------

async function phase(infra: Infra, side: Side, args: Args) {
  progress(`profile: ${side}, ${args.messages} messages at ${args.rate}/s`);
  const before = snapshot(infra);
  const { group, calls } = await offer(infra, side, args.rate, args.messages, side[0]);
  const after = snapshot(infra);
  const cpu = delta(before, after);
  const l = calls.map((c) => (c.acceptedAt ?? NaN) - c.sentAt);
  const hs = await histories(infra, side, group, args.messages);
  return {
    window: { fromUs: before.hrUs, toUs: after.hrUs },
    result: {
      side,
      rate: args.rate,
      messages: args.messages,
      ...cpu,
      cpuMsPerMessage: perMessage(cpu.processMs, args.messages),
      workerThreadMsPerMessage: side === 'engine' ? perMessage(cpu.workerThreadMs, args.messages) : undefined,
      serverIoPerMessage: perMessage(cpu.serverIo, args.messages),
      acceptMs: percentiles(l),
      ...historyCounts(hs, args.messages),
    },
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date().toISOString();
  const load = [os.loadavg().map((v) => round(v, 2))];
  const profDir = mkdtempSync(join(os.tmpdir(), 'omnijourney-prof-'));
  const workerEnv: Record<string, string> = { WORKFLOW_BUNDLE_CACHE: join(profDir, 'bundle') };
  const workerNodeArgs = args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const stop = async (code: number) => {
    await stopEverything();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
  let infra: Infra | undefined;
  const doc: Record<string, unknown> = { startedAt: started, args, cpus: os.cpus().length, tickMs: TICK_MS };
  try {
    infra = await startInfra({ keep: args.keep, workerEnv, workerNodeArgs });
    progress('profile: warm-up (20 messages each side), then 10 s idle to measure the processes at rest');
    await offer(infra, 'engine', 4, 20, 'w');
    await offer(infra, 'baseline', 4, 20, 'w');
    const idleA = snapshot(infra);
    await sleep(10_000);
    const idle = delta(idleA, snapshot(infra));
    doc.idlePerSecondMs = perMessage(idle.processMs, idle.seconds);
    doc.idleWorkerThreadsPerSecondMs = perMessage(idle.workerThreadMs, idle.seconds);
    doc.idleServerIoPerSecond = perMessage(idle.serverIo, idle.seconds);
    if (args.strace > 0) {
      const quiet = await straceDuring(infra.temporal.pid() as number, () => sleep(5000));
      doc.idleStraceCallsPerSecond = quiet ? perMessage(quiet.calls, 5) : 'strace unavailable';
    }

    const engine = await phase(infra, 'engine', args);
    doc.engine = engine.result;
    load.push(os.loadavg().map((v) => round(v, 2)));
    doc.baseline = (await phase(infra, 'baseline', args)).result;
    load.push(os.loadavg().map((v) => round(v, 2)));

    if (args.latencyMessages > 0) {
      progress(`profile: timelines of ${args.latencyMessages} messages sent one at a time, each side`);
      doc.timelineEngine = await timelines(infra, 'engine', args.latencyMessages);
      doc.timelineBaseline = await timelines(infra, 'baseline', args.latencyMessages);
    }
    if (args.strace > 0) {
      const serverPid = infra.temporal.pid() as number;
      const running = infra;
      const st: Record<string, unknown> = {};
      for (const side of ['engine', 'baseline'] as const) {
        progress(`profile: strace -c of the dev server's writes and syncs, ${side}, ${args.strace} messages`);
        const r = await straceDuring(serverPid, () => offer(running, side, args.rate, args.strace, `s${side[0]}`));
        st[side] = r ? perMessage(r.calls, args.strace) : 'strace unavailable';
      }
      doc.straceCallsPerMessage = st;
    }
    load.push(os.loadavg().map((v) => round(v, 2)));
    doc.loadAverage = load;
    progress('profile: stopping (the engine worker writes its CPU profiles on exit)');
    await infra.stop();
    if (args.cpuProf) {
      const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
      const bundleDir = join(profDir, 'bundle');
      const bundleFile = readdirSync(bundleDir).find((f) => f.endsWith('.json'));
      const bundle = bundleFile ? (JSON.parse(readFileSync(join(bundleDir, bundleFile), 'utf8')) as { code: string }) : undefined;
      doc.cpuProfiles = files.map((f) => summariseProfile(join(profDir, f), engine.window.fromUs, engine.window.toUs, bundle, args.messages));
    }
  } finally {
    await infra?.stop();
    if (!args.keep) rmSync(profDir, { recursive: true, force: true });
    else progress(`kept ${profDir}`);
  }
  const json = `${JSON.stringify(doc, null, 2)}\n`;
  if (args.out) writeFileSync(resolve(args.out), json);
  process.stdout.write(json);
  process.exit(0);
}

// Run as a script (not when a test or another script imports summariseProfile).
if (/profile\.ts$/.test(process.argv[1] ?? ''))
  main().catch((err) => {
    progress(`profile failed: ${(err as Error).stack ?? err}`);
    void stopEverything().then(() => process.exit(1));
  });
