/**
 * The load loop of one worker thread: undici Clients (one per connection) wrapped by the metrics
 * and logging interceptors, fed by a pacer. Open-model arrivals are claimed from a ticket counter
 * shared by all workers (so the rate is global), sent late when every connection was busy (latency
 * still counted from the intended start), and dropped past `maxLagMs`. Never posts a message per request.
 */
import { Client, type Dispatcher } from 'undici';
import * as hdr from 'hdr-histogram-js';
import { MetricsRecorder } from '../metrics/recorder.js';
import { EPOCH_F64, G, RunState } from '../metrics/layout.js';
import { metricsInterceptor } from '../http/interceptors/metrics.js';
import { loggingInterceptor } from '../http/interceptors/logging.js';
import { LogSink } from '../http/log-sink.js';
import { createRunClock, type RunClock } from './clock.js';
import { createPacer } from './load-model.js';
import type { Pacer } from './pacer.js';
import type { RequestSpec, WorkerReport, WorkerTask } from './worker-task.js';
import type { RigDispatchOptions } from '../http/request-options.js';
import { newHistogram } from '../metrics/histogram.js';
import { toErrorData } from '../errors.js';

/** How often an idle or blocked worker re-checks the shared state, ms. */
const WATCHDOG_MS = 20;

type Dispatch = (opts: RigDispatchOptions, handler: Dispatcher.DispatchHandler) => boolean;

class RequestHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly loop: LoadLoop,
    private readonly conn: number,
  ) {}
  // Defining onRequestStart marks this as a new-API handler (undici wraps handlers without it as legacy ones).
  onRequestStart(): void {}
  onResponseEnd(): void {
    this.loop.complete(this.conn);
  }
  onResponseError(): void {
    this.loop.complete(this.conn);
  }
  onRequestUpgrade(_c: Dispatcher.DispatchController, _s: number, _h: unknown, socket: { destroy(): void }): void {
    socket.destroy();
    this.loop.complete(this.conn);
  }
}

/** LoadLoop drives one worker's connections until the run ends. */
export class LoadLoop {
  private readonly view: Uint32Array;
  private readonly clients: Client[] = [];
  private readonly dispatchers: Dispatch[] = [];
  /** Free pipeline slots: connection indices, one entry per free slot. */
  private readonly free: number[] = [];
  private readonly pacer: Pacer;
  private readonly recorder: MetricsRecorder;
  private readonly requests: Readonly<RigDispatchOptions>[];
  private clock: RunClock = () => 0;
  private inFlight = 0;
  private lastEndMs = 0;
  private sent = 0;
  private finished = false;
  private aborted = false;
  private pumping = false;
  private pumpAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly lateness: hdr.Histogram = newHistogram();
  private sink: LogSink | undefined;
  private resolveDone!: () => void;
  private readonly done = new Promise<void>((r) => (this.resolveDone = r));

  constructor(private readonly task: WorkerTask) {
    this.view = new Uint32Array(task.buffer);
    this.recorder = new MetricsRecorder(task.layout, task.buffer);
    this.pacer = createPacer(task.model, task.model.kind === 'closed' ? Infinity : task.maxRequests);
    this.requests = task.requests.map((r) => Object.freeze(toDispatchOptions(r)));
  }

  /** run connects, waits for the shared start signal, drives load to the end and returns the report. */
  async run(): Promise<WorkerReport> {
    const t = this.task;
    const recorder = this.recorder;
    const epochArray = new Float64Array(t.buffer);
    if (t.log) this.sink = new LogSink(t.log.path);
    let clockRef: RunClock = () => this.clock();
    for (let c = 0; c < t.connections; c++) {
      const client = new Client(t.origin, {
        pipelining: t.pipelining,
        headersTimeout: t.timeoutMs,
        bodyTimeout: t.timeoutMs,
        connectTimeout: t.timeoutMs,
        connect: t.rejectUnauthorized === false ? { rejectUnauthorized: false } : undefined,
      });
      client.on('connectionError', () => {}); // failures are counted per request
      const interceptors: Dispatcher.DispatcherComposeInterceptor[] = [metricsInterceptor({ recorder, clock: clockRef })];
      if (this.sink && t.log) {
        const sink = this.sink;
        interceptors.push(
          loggingInterceptor({ sink, clock: clockRef, worker: t.index, sample: t.log.sample, operations: t.log.operations, get epochWallMs() { return epochArray[EPOCH_F64]!; } }),
        );
      }
      const composed = client.compose(...interceptors);
      this.clients.push(client);
      this.dispatchers.push(composed.dispatch.bind(composed) as Dispatch);
      for (let s = 0; s < t.pipelining; s++) this.free.push(c);
    }
    Atomics.add(this.view, G.READY, 1);
    const wait = Atomics.waitAsync(new Int32Array(t.buffer), G.GO, 0);
    if (wait.async) await wait.value;
    this.clock = createRunClock(epochArray[EPOCH_F64]!);
    clockRef = this.clock;
    this.watchdog = setInterval(() => this.pump(), WATCHDOG_MS);
    this.pump();
    await this.done;
    clearInterval(this.watchdog);
    this.sink?.close();
    await Promise.all(this.clients.map((c) => (this.aborted ? c.destroy() : c.close()).catch(() => {})));
    return {
      index: t.index,
      sent: this.sent,
      lastEndMs: this.lastEndMs,
      lateness: this.pacer.open ? hdr.encodeIntoCompressedBase64(this.lateness) : '',
    };
  }

  /** complete is called by a request's handler when it ends (response, error or upgrade). */
  complete(conn: number): void {
    this.inFlight--;
    Atomics.sub(this.view, G.IN_FLIGHT, 1);
    this.free.push(conn);
    this.lastEndMs = this.clock();
    // Never dispatch from inside undici's callbacks (its connection error path asserts an empty
    // queue): pump once the current callback stack has unwound.
    if (!this.pumpQueued) {
      this.pumpQueued = true;
      queueMicrotask(this.queuedPump);
    }
  }

  private pumpQueued = false;
  private readonly queuedPump = (): void => {
    this.pumpQueued = false;
    this.pump();
  };

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    if (this.finished) {
      this.maybeDone();
      return;
    }
    const state = Atomics.load(this.view, G.STATE);
    if (state === RunState.Aborting) return this.abort();
    if (state !== RunState.Running) return this.finish();
    const t = this.task;
    const now = this.clock();
    if (!this.pacer.open) {
      if (now >= t.durationMs) return this.finish();
      while (this.free.length > 0) {
        if (!this.admit()) return this.retrySoon();
        if (t.maxRequests !== Infinity && Atomics.add(this.view, G.CLAIMED, 1) >= t.maxRequests) {
          Atomics.sub(this.view, G.IN_FLIGHT, 1);
          return this.finish();
        }
        this.send(this.sent % this.requests.length, undefined, now);
      }
      return;
    }
    // Open model: claim every due arrival while a connection slot is free.
    while (this.free.length > 0) {
      const i = Atomics.load(this.view, G.TICKET);
      const at = this.pacer.arrivalMs(i);
      if (at === Infinity) return this.finish();
      if (at > now) return this.sleepUntil(at, now);
      if (!this.admit()) return this.retrySoon();
      if (Atomics.compareExchange(this.view, G.TICKET, i, i + 1) !== i) {
        Atomics.sub(this.view, G.IN_FLIGHT, 1);
        continue; // another worker took it
      }
      const req = i % this.requests.length;
      const lateMs = now - at;
      if (lateMs > t.maxLagMs) {
        Atomics.sub(this.view, G.IN_FLIGHT, 1);
        this.recorder.dropped(this.requests[req]!.operation ?? 0);
        continue;
      }
      const lateUs = Math.max(0, Math.round(lateMs * 1000));
      this.lateness.recordValue(Math.min(lateUs, 3_600_000_000));
      if (lateUs >= 1000) this.recorder.late(lateUs);
      this.send(req, at, now);
    }
    // Every slot is busy: a completion pumps again.
  }

  /** admit reserves a place under the global in-flight cap (the caller releases it when not sending). */
  private admit(): boolean {
    const prev = Atomics.add(this.view, G.IN_FLIGHT, 1);
    if (this.task.maxInFlight > 0 && prev >= this.task.maxInFlight) {
      Atomics.sub(this.view, G.IN_FLIGHT, 1);
      return false;
    }
    return true;
  }

  private send(req: number, intendedAt: number | undefined, now: number): void {
    const conn = this.free.pop()!;
    this.inFlight++;
    this.sent++;
    const base = this.requests[req]!;
    const opts = intendedAt === undefined || intendedAt >= now ? base : Object.freeze({ ...base, intendedAt });
    this.dispatchers[conn]!(opts, new RequestHandler(this, conn));
  }

  private sleepUntil(at: number, now: number): void {
    const delay = at - now;
    if (this.timer || this.immediate) return;
    if (delay >= 2) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, Math.floor(delay) - 1);
    } else {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.pump();
      });
    }
  }

  private retrySoon(): void {
    if (this.timer || this.immediate) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, 1);
  }

  private finish(): void {
    this.finished = true;
    this.maybeDone();
  }

  private abort(): void {
    this.finished = true;
    this.aborted = true;
    for (const c of this.clients) c.destroy().catch(() => {});
    this.maybeDone();
  }

  private maybeDone(): void {
    if (Atomics.load(this.view, G.STATE) === RunState.Aborting && !this.aborted) return this.abort();
    if (this.inFlight > 0) return;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.resolveDone();
  }
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
    return await new LoadLoop(task).run();
  } catch (err) {
    return { index: task.index, sent: 0, lastEndMs: 0, lateness: '', error: toErrorData(err) };
  }
}
