/**
 * Watch fan-out: N concurrent watch streams on one namespace of the mock, held by a cheap
 * racerig client in worker threads (racerig's H1Client, or an undici Pool; dispatch handlers that count event lines and read the
 * `racerig.io/sent-at` stamp without parsing the JSON, on every watcher or every k-th), while small ConfigMaps are created at a
 * fixed rate. Lag = receive time − the create's stamp, for every (watcher, event) pair.
 * Everything is bounded: the number of creates, and a deadline for the events to arrive.
 */
import { Pool, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { H1Client } from '../../src/http/h1/client.js';

/** FanoutOptions describe one fan-out run against a mock at `base` (a loopback URL ending in /). */
export interface FanoutOptions {
  base: string;
  namespace: string;
  watchers: number;
  /** Creates per second. */
  rate: number;
  /** Number of creates (the run lasts count / rate seconds). */
  count: number;
  /** The mock's process id, to read its CPU time from /proc (optional). */
  mockPid?: number;
  /** How long to wait for the last events after the last create, ms (default 10,000). */
  drainMs?: number;
  /** Read the lag on every `lagEvery`-th watcher (default 1: all); the others only count lines, which keeps the client cheap. */
  lagEvery?: number;
  /** Worker threads the watch streams are split over (default 2; the creates are sent from the calling thread). */
  clientThreads?: number;
  /** Events created in the first `warmupSec` seconds are delivered and counted but left out of p50/p99/max (JIT and connection warm-up; default 1). */
  warmupSec?: number;
  /** HTTP client of the watch streams: racerig's H1Client, one per stream (default), or an undici Pool. */
  client?: FanoutClient;
}

/** FanoutClient names the HTTP client holding the watch streams. */
export type FanoutClient = 'h1' | 'undici';

/** FanoutResult is what one run measured; lags in ms. */
export interface FanoutResult {
  watchers: number;
  rate: number;
  count: number;
  client: FanoutClient;
  clientThreads: number;
  lagEvery: number;
  /** Lag samples after the warm-up (deliveries to the watchers that read the lag). */
  samples: number;
  /** Deliveries expected (watchers × count) and received. */
  expected: number;
  received: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** Seconds at the start whose events are left out of p50/p99/max. */
  warmupSec: number;
  /** p99 of every sample, warm-up included. */
  p99All: number | null;
  /** p99 lag of the events created in each second of the run, warm-up included (shows whether a backlog builds up). */
  p99PerSecond: number[];
  /** Wall seconds from the first create to the last delivery (or the deadline). */
  wallSec: number;
  /** CPU seconds (user + system) of the mock process and of this client process (all its threads) over the same span. */
  mockCpuSec: number | null;
  clientCpuSec: number;
  /** Of which in the kernel (system time). */
  clientSysSec: number;
  /** Response body chunks the client received (one per socket read, at most). */
  chunks: number;
  /** Mock CPU µs per delivered event. */
  mockUsPerDelivery: number | null;
  /** 1-minute load average at the start and the end. */
  loadStart: number;
  loadEnd: number;
}

const STAMP = Buffer.from('"racerig.io/sent-at":"');
const NL = 0x0a;
const QUOTE = 0x22;
const wallMs = (): number => performance.timeOrigin + performance.now();

function procCpuSec(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after ")": state(0) … utime(11) stime(12), in clock ticks (100/s on Linux)
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

function loadavg1(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** Lags holds lag samples (ms) and their send times (wall ms), in growable Float64Arrays. */
class Lags {
  a = new Float64Array(1 << 16);
  at = new Float64Array(1 << 16);
  n = 0;
  push(v: number, sent: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
      const c = new Float64Array(this.at.length * 2);
      c.set(this.at);
      this.at = c;
    }
    this.at[this.n] = sent;
    this.a[this.n++] = v;
  }
  /** perSecond returns the p99 lag of the events sent in each second after `t0` (wall ms). */
  perSecond(t0: number): number[] {
    const buckets: number[][] = [];
    for (let i = 0; i < this.n; i++) (buckets[Math.max(0, Math.floor((this.at[i]! - t0) / 1000))] ??= []).push(this.a[i]!);
    return [...buckets].map((b) => (b ? Math.round(quantile(Float64Array.from(b).sort(), b.length, 0.99) ?? 0) : 0));
  }
}

/** One watch stream: counts lines, reads the stamp of each line; keeps an incomplete line for the next chunk. */
class CountingHandler implements Dispatcher.DispatchHandler {
  status = 0;
  lines = 0;
  chunks = 0;
  controller: Dispatcher.DispatchController | undefined;
  private tail: Buffer | undefined;
  constructor(
    private readonly lags: Lags | undefined,
    private readonly onLine: () => void,
    private readonly onEnd: () => void,
  ) {}
  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
  }
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, _h: IncomingHttpHeaders): void {
    this.status = statusCode;
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    const now = wallMs();
    this.chunks++;
    let buf = chunk;
    if (this.tail) {
      buf = Buffer.concat([this.tail, chunk]);
      this.tail = undefined;
    }
    let start = 0;
    const lags = this.lags;
    for (;;) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0) break;
      this.lines++;
      this.onLine();
      if (!lags) {
        start = nl + 1;
        continue;
      }
      const at = buf.indexOf(STAMP, start);
      if (at >= 0 && at < nl) {
        const from = at + STAMP.length;
        const to = buf.indexOf(QUOTE, from);
        const sent = Number(buf.toString('latin1', from, to));
        if (Number.isFinite(sent)) lags.push(now - sent, sent);
      }
      start = nl + 1;
    }
    if (start < buf.length) this.tail = Buffer.from(buf.subarray(start));
  }
  onResponseEnd(): void {
    this.onEnd();
  }
  onResponseError(): void {
    this.onEnd();
  }
}

function quantile(sorted: Float64Array, n: number, q: number): number | null {
  return n ? sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]! : null;
}

/** GroupSpec is what one client thread holds: `watchers` watch streams from resourceVersion `rv`. */
interface GroupSpec {
  origin: string;
  path: string;
  rv: string;
  watchers: number;
  /** Index of this group's first watcher (lag is read on watchers whose index is a multiple of lagEvery). */
  first: number;
  lagEvery: number;
  /** Lines each watcher must receive. */
  count: number;
  client: FanoutClient;
}

type GroupMessage =
  | { type: 'ready'; open: number }
  | { type: 'done'; at: number }
  | { type: 'result'; received: number; chunks: number; lags: Float64Array; sentAt: Float64Array };

/** runGroup holds one thread's watch streams until told to stop, then reports what they received. */
async function runGroup(spec: GroupSpec, port: NonNullable<typeof parentPort>): Promise<void> {
  // One H1Client per stream (racerig's client), or one undici Pool with a connection per stream.
  const h1 = spec.client === 'h1' ? Array.from({ length: spec.watchers }, () => new H1Client(spec.origin, { bodyTimeout: 0, headersTimeout: 30_000, lendBodyChunks: true })) : [];
  const pool = spec.client === 'h1' ? undefined : new Pool(spec.origin, { connections: spec.watchers, bodyTimeout: 0, headersTimeout: 30_000, pipelining: 0 });
  const lags = new Lags();
  const expected = spec.watchers * spec.count;
  let received = 0;
  const onLine = (): void => {
    if (++received === expected) port.postMessage({ type: 'done', at: wallMs() } satisfies GroupMessage);
  };
  const handlers: CountingHandler[] = [];
  for (let i = 0; i < spec.watchers; i++) {
    const h = new CountingHandler((spec.first + i) % spec.lagEvery === 0 ? lags : undefined, onLine, () => {});
    handlers.push(h);
    (pool ?? h1[i]!).dispatch({ path: `${spec.path}?watch=1&resourceVersion=${spec.rv}&allowWatchBookmarks=false&timeoutSeconds=600`, method: 'GET' }, h);
  }
  for (let t = 0; t < 300 && handlers.some((h) => h.status === 0); t++) await new Promise((r) => setTimeout(r, 20));
  port.postMessage({ type: 'ready', open: handlers.filter((h) => h.status === 200).length } satisfies GroupMessage);
  await new Promise<void>((resolve) => port.once('message', () => resolve()));
  for (const h of handlers) h.controller?.abort(new Error('fan-out done'));
  await Promise.all([pool, ...h1].map((d) => d?.destroy().catch(() => {})));
  const out = lags.a.slice(0, lags.n);
  const sentAt = lags.at.slice(0, lags.n);
  port.postMessage({ type: 'result', received, chunks: handlers.reduce((n, h) => n + h.chunks, 0), lags: out, sentAt } satisfies GroupMessage, [out.buffer, sentAt.buffer]);
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'racerig-bench-fanout') {
  void runGroup((workerData as { spec: GroupSpec }).spec, parentPort!);
}

/** runWatchFanout opens the watchers (split over `clientThreads` worker threads), creates the objects at the rate from this thread, and measures delivery lag and CPU. */
export async function runWatchFanout(o: FanoutOptions): Promise<FanoutResult> {
  const url = new URL(o.base);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost' && url.hostname !== '[::1]') throw new Error(`fan-out target ${o.base} is not on loopback`);
  const origin = url.origin;
  const path = `/api/v1/namespaces/${o.namespace}/configmaps`;
  const writePool = new Pool(origin, { connections: 2 });
  // The creates go through racerig's H1Client too (undici's Pool cost ~0.2 cores at 500 creates/s
  // here, mostly in code that never got optimized at that rate, taken from the client threads' share).
  const creators = Array.from({ length: 16 }, () => new H1Client(origin, { headersTimeout: 30_000, bodyTimeout: 30_000 }));
  const lagEvery = Math.max(1, Math.floor(o.lagEvery ?? 1));
  const threads = Math.max(1, Math.min(o.watchers, Math.floor(o.clientThreads ?? 2)));
  const client = o.client ?? 'h1';
  const expected = o.watchers * o.count;
  const workers: Worker[] = [];
  const inbox: GroupMessage[][] = [];
  const failed: Error[] = [];
  const waitFor = async (what: GroupMessage['type'], timeoutMs: number): Promise<GroupMessage[]> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (failed.length) throw new Error(`a fan-out client thread failed: ${failed[0]!.message}`);
      const got = inbox.map((box) => box.find((m) => m.type === what));
      if (got.every((m) => m !== undefined)) return got as GroupMessage[];
      if (performance.now() > deadline) return got.filter((m): m is GroupMessage => m !== undefined);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    // The namespace starts empty and the watch starts from "now" (resourceVersion of an empty list), so every line is one created object.
    const list = await writePool.request({ path, method: 'GET' });
    const rv = ((await list.body.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    let first = 0;
    for (let t = 0; t < threads; t++) {
      const n = Math.floor(o.watchers / threads) + (t < o.watchers % threads ? 1 : 0);
      const spec: GroupSpec = { origin, path, rv, watchers: n, first, lagEvery, count: o.count, client };
      first += n;
      const box: GroupMessage[] = [];
      inbox.push(box);
      const w = new Worker(new URL(import.meta.url), { workerData: { role: 'racerig-bench-fanout', spec } });
      w.on('message', (m: GroupMessage) => box.push(m));
      w.on('error', (err) => failed.push(err));
      workers.push(w);
    }
    const ready = (await waitFor('ready', 20_000)) as Array<Extract<GroupMessage, { type: 'ready' }>>;
    const open = ready.reduce((n, m) => n + m.open, 0);
    if (ready.length < threads || open < o.watchers) throw new Error(`only ${Math.max(0, open)} of ${o.watchers} watch streams opened`);

    const loadStart = loadavg1();
    const cpu0 = process.cpuUsage();
    const mock0 = o.mockPid ? procCpuSec(o.mockPid) : null;
    const t0 = performance.now();
    const wall0 = wallMs();
    const creates: Promise<unknown>[] = [];
    let failures = 0;
    for (let i = 0; i < o.count; i++) {
      const due = t0 + (i * 1000) / o.rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fan-${i}","annotations":{"racerig.io/sent-at":"${wallMs().toFixed(3)}"}},"data":{"k":"v"}}`;
      creates.push(
        new Promise<void>((resolve) => {
          let status = 0;
          creators[i % creators.length]!.dispatch({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body }, {
            onRequestStart() {},
            onResponseStart(_c, code) {
              status = code;
            },
            onResponseData() {},
            onResponseEnd() {
              if (status !== 201) failures++;
              resolve();
            },
            onResponseError() {
              failures++;
              resolve();
            },
          });
        }),
      );
    }
    await Promise.all(creates);
    if (failures) throw new Error(`${failures} of ${o.count} creates failed`);
    const done = (await waitFor('done', o.drainMs ?? 10_000)) as Array<Extract<GroupMessage, { type: 'done' }>>;
    const wall1 = done.length === threads ? Math.max(...done.map((m) => m.at)) : wallMs();
    const mock1 = o.mockPid ? procCpuSec(o.mockPid) : null;
    const cpu = process.cpuUsage(cpu0);
    const loadEnd = loadavg1();
    for (const w of workers) w.postMessage('stop');
    const results = (await waitFor('result', 10_000)) as Array<Extract<GroupMessage, { type: 'result' }>>;
    const lags = new Lags();
    for (const r of results) for (let i = 0; i < r.lags.length; i++) lags.push(r.lags[i]!, r.sentAt[i]!);
    const received = results.reduce((n, r) => n + r.received, 0);
    const p99PerSecond = lags.perSecond(wall0);
    const warmupSec = Math.max(0, o.warmupSec ?? 1);
    const steady: number[] = [];
    for (let i = 0; i < lags.n; i++) if (lags.at[i]! >= wall0 + warmupSec * 1000) steady.push(lags.a[i]!);
    const sorted = Float64Array.from(steady).sort();
    const all = lags.a.subarray(0, lags.n).sort();
    const mockCpuSec = mock0 !== null && mock1 !== null ? mock1 - mock0 : null;
    return {
      watchers: o.watchers,
      rate: o.rate,
      count: o.count,
      client,
      clientThreads: threads,
      lagEvery,
      samples: sorted.length,
      expected,
      received,
      warmupSec,
      p50: quantile(sorted, sorted.length, 0.5),
      p99: quantile(sorted, sorted.length, 0.99),
      max: quantile(sorted, sorted.length, 1),
      p99All: quantile(all, lags.n, 0.99),
      p99PerSecond,
      wallSec: (wall1 - wall0) / 1000,
      mockCpuSec,
      clientCpuSec: (cpu.user + cpu.system) / 1e6,
      clientSysSec: cpu.system / 1e6,
      chunks: results.reduce((n, r) => n + r.chunks, 0),
      mockUsPerDelivery: mockCpuSec !== null && received ? (mockCpuSec * 1e6) / received : null,
      loadStart,
      loadEnd,
    };
  } finally {
    await Promise.allSettled([writePool.destroy(), ...creators.map((c) => c.destroy()), ...workers.map((w) => w.terminate())]);
  }
}
