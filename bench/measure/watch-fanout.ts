/**
 * Watch fan-out: N concurrent watch streams on one namespace of the mock, held by one cheap
 * racerig-style client (undici dispatch handlers that count event lines and read the
 * `racerig.io/sent-at` stamp without parsing the JSON, on every watcher or every k-th), while small ConfigMaps are created at a
 * fixed rate. Lag = receive time − the create's stamp, for every (watcher, event) pair.
 * Everything is bounded: the number of creates, and a deadline for the events to arrive.
 */
import { Pool, type Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';

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
}

/** FanoutResult is what one run measured; lags in ms. */
export interface FanoutResult {
  watchers: number;
  rate: number;
  count: number;
  lagEvery: number;
  /** Lag samples (deliveries to the watchers that read it). */
  samples: number;
  /** Deliveries expected (watchers × count) and received. */
  expected: number;
  received: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** p99 lag of the events created in each second of the run (shows whether a backlog builds up). */
  p99PerSecond: number[];
  /** Wall seconds from the first create to the last delivery (or the deadline). */
  wallSec: number;
  /** CPU seconds (user + system) of the mock process and of this client over the same span. */
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

/** runWatchFanout opens the watchers, creates the objects at the rate, and measures delivery lag and CPU. */
export async function runWatchFanout(o: FanoutOptions): Promise<FanoutResult> {
  const url = new URL(o.base);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost' && url.hostname !== '[::1]') throw new Error(`fan-out target ${o.base} is not on loopback`);
  const origin = url.origin;
  const path = `/api/v1/namespaces/${o.namespace}/configmaps`;
  const watchPool = new Pool(origin, { connections: o.watchers, bodyTimeout: 0, headersTimeout: 30_000, pipelining: 0 });
  const writePool = new Pool(origin, { connections: 16 });
  const lags = new Lags();
  const lagEvery = Math.max(1, Math.floor(o.lagEvery ?? 1));
  const expected = o.watchers * o.count;
  let received = 0;
  let lastAt = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((r) => (allDone = r));
  const handlers: CountingHandler[] = [];
  const onLine = (): void => {
    received++;
    if (received >= expected) {
      lastAt = performance.now();
      allDone();
    }
  };
  try {
    // The namespace starts empty and the watch starts from "now" (resourceVersion of an empty list), so every line is one created object.
    const list = await writePool.request({ path, method: 'GET' });
    const rv = ((await list.body.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    for (let i = 0; i < o.watchers; i++) {
      const h = new CountingHandler(i % lagEvery === 0 ? lags : undefined, onLine, () => {});
      handlers.push(h);
      watchPool.dispatch({ path: `${path}?watch=1&resourceVersion=${rv}&allowWatchBookmarks=false&timeoutSeconds=600`, method: 'GET' }, h);
    }
    // Wait (bounded) until every stream has its response headers.
    for (let t = 0; t < 300 && handlers.some((h) => h.status === 0); t++) await new Promise((r) => setTimeout(r, 20));
    const open = handlers.filter((h) => h.status === 200).length;
    if (open < o.watchers) throw new Error(`only ${open} of ${o.watchers} watch streams opened`);

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
        writePool.request({ path, method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
          async (r) => {
            await r.body.dump();
            if (r.statusCode !== 201) failures++;
          },
          () => failures++,
        ),
      );
    }
    await Promise.all(creates);
    if (failures) throw new Error(`${failures} of ${o.count} creates failed`);
    await Promise.race([done, new Promise((r) => setTimeout(r, o.drainMs ?? 10_000))]);
    const t1 = received >= expected ? lastAt : performance.now();
    const mock1 = o.mockPid ? procCpuSec(o.mockPid) : null;
    const cpu = process.cpuUsage(cpu0);
    const loadEnd = loadavg1();
    const p99PerSecond = lags.perSecond(wall0);
    const sorted = lags.a.subarray(0, lags.n).sort();
    const mockCpuSec = mock0 !== null && mock1 !== null ? mock1 - mock0 : null;
    return {
      watchers: o.watchers,
      rate: o.rate,
      count: o.count,
      lagEvery,
      samples: lags.n,
      expected,
      received,
      p50: quantile(sorted, lags.n, 0.5),
      p99: quantile(sorted, lags.n, 0.99),
      max: quantile(sorted, lags.n, 1),
      p99PerSecond,
      wallSec: (t1 - t0) / 1000,
      mockCpuSec,
      clientCpuSec: (cpu.user + cpu.system) / 1e6,
      clientSysSec: cpu.system / 1e6,
      chunks: handlers.reduce((n, h) => n + h.chunks, 0),
      mockUsPerDelivery: mockCpuSec !== null && received ? (mockCpuSec * 1e6) / received : null,
      loadStart,
      loadEnd,
    };
  } finally {
    for (const h of handlers) h.controller?.abort(new Error('fan-out done'));
    await Promise.allSettled([watchPool.destroy(), writePool.destroy()]);
  }
}
