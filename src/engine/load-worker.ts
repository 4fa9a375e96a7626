/**
 * The load of one worker thread for `run <url>`: HTTP clients (one per connection) wrapped by the
 * metrics and logging interceptors (composeWrappers), each arrival one request on a free connection slot, paced by an
 * ArrivalLoop (see arrival-loop.ts). Never posts a message per request.
 */
import type { Dispatcher, buildConnector as BuildConnector } from 'undici';
import { buildConnector, undiciClient, type Client } from '../http/undici-client.js';
import { H1Client } from '../http/h1/client.js';
import { sharedReadOptions } from '../http/h1/read-buffer.js';
import type { Socket } from 'node:net';
import { MetricsRecorder } from '../metrics/recorder.js';
import { allocateMetrics, EPOCH_F64, GlobalSlot, RunState } from '../metrics/layout.js';
import { metricsInterceptor } from '../http/interceptors/metrics.js';
import { loggingInterceptor } from '../http/interceptors/logging.js';
import { composeWrappers } from '../http/interceptors/compose.js';
import { LogSink } from '../http/log-sink.js';
import { startableClock, wallMs, type RunClock } from './clock.js';
import { createPacer } from './load-model.js';
import { ArrivalLoop, type WorkSource } from './arrival-loop.js';
import type { RequestSpec, WorkerReport, WorkerTask } from './worker-task.js';
import type { RigDispatchOptions } from '../http/request-options.js';
import { toErrorData } from '../errors.js';
import { RunAbortedError } from '../http/error-kind.js';
import { pinnedLookup } from '../http/resolve-target.js';
import { WARM_UP_DEADLINE_MS, withWarmUpServer } from './warm-up.js';

type Dispatch = (opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler) => boolean;

class RequestHandler implements Dispatcher.DispatchHandler {
  private settled = false;
  constructor(
    private readonly source: ConnectionSource,
    private readonly conn: number,
  ) {}
  // Defining onRequestStart marks this as a new-API handler (undici wraps handlers without it as legacy ones).
  onRequestStart(): void {}
  onResponseEnd(): void {
    this.settle();
  }
  onResponseError(): void {
    this.settle();
  }
  onRequestUpgrade(_c: Dispatcher.DispatchController, _s: number, _h: unknown, socket: { destroy(): void }): void {
    socket.destroy();
    this.settle();
  }
  /** settle frees the connection slot once, even if undici reports an error after the end. */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.source.complete(this.conn);
  }
}

/**
 * LateRequest is a copy of a request's options with the planned start of an arrival that starts late
 * (nearly every arrival: groups start once the first is `--gather` late). A class rather than
 * `{ ...base, intendedAt }`, because spreading a frozen object takes V8's slow path. It copies every field toDispatchOptions sets (LATE_REQUEST_FIELDS; ConnectionSource
 * refuses options with any other).
 */
const LATE_REQUEST_FIELDS = new Set(['method', 'path', 'headers', 'operation', 'body', 'upgrade']);
class LateRequest implements RigDispatchOptions {
  readonly method: RigDispatchOptions['method'];
  readonly path: string;
  readonly headers: RigDispatchOptions['headers'];
  readonly operation: number | undefined;
  readonly body: RigDispatchOptions['body'];
  readonly upgrade: RigDispatchOptions['upgrade'];
  constructor(
    base: Readonly<RigDispatchOptions>,
    readonly intendedAt: number,
  ) {
    this.method = base.method;
    this.path = base.path;
    this.headers = base.headers;
    this.operation = base.operation;
    this.body = base.body;
    this.upgrade = base.upgrade;
  }
}

/** ConnectionSource turns arrivals into requests on free connection slots, under the global in-flight cap. */
class ConnectionSource implements WorkSource {
  /** Free pipeline slots: connection indices, one entry per free slot. */
  private readonly free: number[] = [];
  private readonly requests: Readonly<RigDispatchOptions>[];
  loop!: ArrivalLoop;

  constructor(
    private readonly view: Uint32Array,
    private readonly recorder: MetricsRecorder,
    private readonly dispatchers: Dispatch[],
    pipelining: number,
    requests: RequestSpec[],
    private readonly maxInFlight: number,
  ) {
    for (let c = 0; c < dispatchers.length; c++) for (let s = 0; s < pipelining; s++) this.free.push(c);
    this.requests = requests.map((r) => Object.freeze(toDispatchOptions(r)));
    for (const r of this.requests) {
      for (const key of Object.keys(r)) if (!LATE_REQUEST_FIELDS.has(key)) throw new Error(`internal: LateRequest does not copy the request option "${key}"`);
    }
  }

  capacity(): number {
    return this.free.length;
  }

  admit(): boolean {
    const prev = Atomics.add(this.view, GlobalSlot.IN_FLIGHT, 1);
    if (this.maxInFlight > 0 && prev >= this.maxInFlight) {
      Atomics.sub(this.view, GlobalSlot.IN_FLIGHT, 1);
      return false;
    }
    return true;
  }

  release(): void {
    Atomics.sub(this.view, GlobalSlot.IN_FLIGHT, 1);
  }

  start(_component: number, unit: number, intendedAt: number | undefined, now: number): void {
    const conn = this.free.pop()!;
    const base = this.requests[unit % this.requests.length]!;
    const opts = intendedAt === undefined || intendedAt >= now ? base : new LateRequest(base, intendedAt);
    this.dispatchers[conn]!(opts, new RequestHandler(this, conn));
  }

  dropped(_component: number, unit: number, count = 1): void {
    const n = this.requests.length;
    if (count === 1 || n === 1) this.recorder.dropped(this.requests[unit % n]!.operation ?? 0, count);
    else for (let k = 0; k < n; k++) {
      // Units unit, unit+1, … send requests[(unit + j) % n]: kind (unit + k) % n gets every n-th of them.
      const share = Math.floor(count / n) + (k < count % n ? 1 : 0);
      if (share > 0) this.recorder.dropped(this.requests[(unit + k) % n]!.operation ?? 0, share);
    }
  }

  complete(conn: number): void {
    Atomics.sub(this.view, GlobalSlot.IN_FLIGHT, 1);
    this.free.push(conn);
    this.loop.done(0);
  }
}

/**
 * preconnect opens `count` sockets to `origin` (TLS included) before the run starts and returns a
 * connector for undici that hands them out, one per Client, then connects normally: connection set-up
 * then never delays the first requests of a run (wrk and autocannon also connect before they send).
 * A socket that failed or closed while waiting is replaced by a fresh connection on use.
 */
async function preconnect(t: WorkerTask, origin: string, count: number): Promise<BuildConnector.connector> {
  const url = new URL(origin);
  // Plain-TCP sockets for racerig's client read into its thread's one buffer (H1Client's `sharedRead`).
  const shared = sharesReads(t, url);
  // The target's name was resolved and checked on the main thread: connect only to those addresses.
  const pinned = origin === t.plan.origin && t.addresses ? { lookup: pinnedLookup(t.addresses) } : {};
  const connector = buildConnector({ rejectUnauthorized: !t.plan.insecure, timeout: t.plan.timeoutMs, ...pinned, ...(shared ? sharedReadOptions() : {}) } as BuildConnector.BuildOptions);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const params = { host: url.host, hostname, protocol: url.protocol, port: url.port || (url.protocol === 'https:' ? '443' : '80') };
  const ready: Socket[] = [];
  const deadline = performance.now() + Math.min(t.plan.timeoutMs, 5_000);
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          if (performance.now() > deadline) return resolve();
          connector(params as BuildConnector.Options, (err, socket) => {
            if (!err && socket) {
              socket.on('error', () => {}); // until undici takes it over (it adds its own handlers)
              ready.push(socket as Socket);
            }
            resolve(); // a failed pre-connection is retried by undici on first use, and counted then
          });
        }),
    ),
  );
  return (opts, callback) => {
    let s: Socket | undefined;
    while ((s = ready.pop())) {
      if (!s.destroyed && s.writable && s.readable) {
        const socket = s;
        process.nextTick(() => callback(null, socket)); // like a real connect, never inside undici's own call
        return;
      }
      s.destroy();
    }
    connector(opts, callback);
  };
}

/**
 * usesFastClient tells whether a worker's connections use racerig's lean HTTP/1.1 client: the default,
 * unless `--http-client undici` or a request it does not send (an upgrade) asks for undici's Client.
 */
function usesFastClient(t: Pick<WorkerTask, 'plan' | 'requests'>): boolean {
  return t.plan.httpClient === 'fast' && t.requests.every((r) => !r.upgrade);
}

/** sharesReads tells whether a worker's pre-connected sockets to `url` are read by H1Client into its shared buffer. */
function sharesReads(t: WorkerTask, url: URL): boolean {
  return usesFastClient(t) && url.protocol === 'http:';
}

/** connect builds one HTTP client per connection (H1Client or undici's Client), each composed with the metrics (and logging) interceptors. */
function connect(
  t: WorkerTask,
  origin: string,
  recorder: MetricsRecorder,
  clock: RunClock,
  log?: Parameters<typeof loggingInterceptor>[0],
  connector?: BuildConnector.connector,
): { clients: Array<Client | H1Client>; dispatchers: Dispatch[] } {
  const clients: Array<Client | H1Client> = [];
  const dispatchers: Dispatch[] = [];
  const fast = usesFastClient(t);
  const sharedRead = connector !== undefined && sharesReads(t, new URL(origin));
  for (let c = 0; c < t.connections; c++) {
    const options = {
      pipelining: t.plan.pipelining,
      headersTimeout: t.plan.timeoutMs,
      bodyTimeout: t.plan.timeoutMs,
      connectTimeout: t.plan.timeoutMs,
      connect: connector ?? (t.plan.insecure ? { rejectUnauthorized: false } : undefined),
    };
    const client = fast ? new H1Client(origin, { ...options, sharedRead, requestTimeout: t.plan.timeoutMs }) : new (undiciClient())(origin, options);
    client.on('connectionError', () => {}); // failures are counted per request
    const interceptors: Dispatcher.DispatcherComposeInterceptor[] = [metricsInterceptor({ recorder, clock })];
    if (log) interceptors.push(loggingInterceptor(log));
    clients.push(client);
    dispatchers.push(composeWrappers(client, interceptors));
  }
  return { clients, dispatchers };
}

/** WARM_UP_ARRIVALS is how many requests a worker sends through its own request path before the run. */
const WARM_UP_ARRIVALS = 2000;
/** WARM_UP_ROUNDS is how many fresh copies of the request path the warm-up arrivals are spread over. */
const WARM_UP_ROUNDS = 5;
/**
 * WARM_UP_CONNECTIONS caps the connections of a warm-up round: enough client instances for call sites
 * to stay generic, few enough that each carries many requests (the run's own count opened thousands of
 * throwaway connections at -c 500; docs/performance.md has the measurement).
 */
const WARM_UP_CONNECTIONS = 16;

/**
 * warmUpRequestPath runs this worker's exact request path (clients, interceptors, connection source,
 * arrival loop, recorder) against a throwaway local server, into a scratch copy of the metrics, at a
 * rate that keeps every connection busy, so the JIT has compiled it before the first real arrival.
 * The task's requests are sent without bodies or upgrades (the throwaway server only reads heads).
 */
async function warmUpRequestPath(t: WorkerTask): Promise<void> {
  await withWarmUpServer(async (origin) => {
    // Several rounds, each with new clients, source, loop and recorder: call sites then see several
    // targets and stay generic, so the run's own objects do not send optimized code back to the interpreter.
    const deadline = performance.now() + WARM_UP_DEADLINE_MS;
    for (let round = 0; round < WARM_UP_ROUNDS && performance.now() < deadline; round++) {
      await warmUpRound(t, origin, Math.max(1, deadline - performance.now()));
    }
  });
}

/** warmUpRound sends WARM_UP_ARRIVALS / WARM_UP_ROUNDS requests through a fresh copy of the request path, within `budgetMs`. */
async function warmUpRound(t: WorkerTask, origin: string, budgetMs: number): Promise<void> {
  const arrivals = Math.ceil(WARM_UP_ARRIVALS / WARM_UP_ROUNDS);
  const buffer = allocateMetrics(t.layout);
  const view = new Uint32Array(buffer);
  const recorder = new MetricsRecorder(t.layout, buffer);
  const { clock, start } = startableClock();
  start(wallMs());
  // Sockets come from a pre-connecting connector as in the run, so the code reading them is compiled for the run's socket objects.
  const warm = { ...t, connections: Math.min(t.connections, WARM_UP_CONNECTIONS) };
  const connector = await preconnect(warm, origin, warm.connections);
  const { clients, dispatchers } = connect(warm, origin, recorder, clock, undefined, connector);
  const requests = t.requests.map((r) => ({ operation: r.operation, method: r.body === undefined ? r.method : 'GET', path: r.path, headers: r.headers }));
  const source = new ConnectionSource(view, recorder, dispatchers, t.plan.pipelining, requests, 0);
  const durationMs = WARM_UP_DEADLINE_MS / 2 / WARM_UP_ROUNDS;
  const loop = new ArrivalLoop(
    recorder,
    clock,
    [{ pacer: createPacer({ kind: 'constant', rate: (arrivals * 1000) / durationMs, durationMs }), maxUnits: Infinity, durationMs, maxLagMs: 50, gatherMs: t.plan.gatherMs, ticketSlot: GlobalSlot.TICKET }],
    source,
  );
  source.loop = loop;
  const deadline = setTimeout(() => Atomics.store(view, GlobalSlot.STATE, RunState.Aborting), budgetMs);
  await loop.run();
  clearTimeout(deadline);
  await Promise.all(clients.map((c) => c.destroy().catch(() => {})));
}

/** runWorkerLoad connects, waits for the shared start signal, drives the load to the end and returns the report. */
async function runWorkerLoad(t: WorkerTask): Promise<WorkerReport> {
  const view = new Uint32Array(t.buffer);
  const recorder = new MetricsRecorder(t.layout, t.buffer);
  const epochArray = new Float64Array(t.buffer);
  const sink = t.plan.log ? new LogSink(t.plan.log) : undefined;
  // One clock from before the start (reading 0) to the end, for the interceptors and the loop alike.
  const { clock, start } = startableClock();
  const log =
    sink
      ? { sink, clock, worker: t.index, sample: t.plan.logSample, operations: t.operations, get epochWallMs() { return epochArray[EPOCH_F64]!; } }
      : undefined;
  await warmUpRequestPath(t);
  const connector = await preconnect(t, t.plan.origin, t.connections);
  const { clients, dispatchers } = connect(t, t.plan.origin, recorder, clock, log, connector);
  const source = new ConnectionSource(view, recorder, dispatchers, t.plan.pipelining, t.requests, t.plan.maxInFlight);
  Atomics.add(view, GlobalSlot.READY, 1);
  const wait = Atomics.waitAsync(new Int32Array(t.buffer), GlobalSlot.GO, 0);
  if (wait.async) await wait.value;
  start(epochArray[EPOCH_F64]!);
  const pacer = createPacer(t.plan.model, t.plan.maxRequests);
  const loop = new ArrivalLoop(
    recorder,
    clock,
    [{ pacer, maxUnits: t.plan.maxRequests, durationMs: t.plan.durationMs, maxLagMs: t.plan.maxLagMs, gatherMs: t.plan.gatherMs, ticketSlot: pacer.open ? GlobalSlot.TICKET : GlobalSlot.CLAIMED }],
    source,
    () => {
      // Requests in flight fail with RunAbortedError: counted as aborted, never under a status they began.
      for (const c of clients) c.destroy(new RunAbortedError()).catch(() => {});
    },
  );
  source.loop = loop;
  await loop.run();
  sink?.close();
  await Promise.all(clients.map((c) => (loop.wasAborted ? c.destroy() : c.close()).catch(() => {})));
  return {
    index: t.index,
    sent: loop.started,
    lastEndMs: loop.lastEndMs,
    lateness: pacer.open ? loop.latenessSlots() : [],
  };
}

function toDispatchOptions(r: RequestSpec): RigDispatchOptions {
  const opts: RigDispatchOptions = { method: r.method, path: r.path, headers: r.headers, operation: r.operation };
  if (r.body !== undefined) opts.body = typeof r.body === 'string' ? r.body : Buffer.from(r.body);
  if (r.upgrade) opts.upgrade = r.upgrade;
  return opts;
}

/** runLoadWorker runs one worker's share of a run and never throws: failures come back as report data. */
export async function runLoadWorker(task: WorkerTask): Promise<WorkerReport> {
  try {
    return await runWorkerLoad(task);
  } catch (err) {
    return { index: task.index, sent: 0, lastEndMs: 0, lateness: [], error: toErrorData(err) };
  }
}
