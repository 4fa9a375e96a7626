/**
 * The main-thread side of a run: allocates the shared metrics, starts the piscina pool, releases
 * all workers at one epoch, snapshots once per second, and stops gracefully (stop) or at once (abort).
 * The main thread only schedules, reads snapshots and calls back: it stays responsive at any load.
 */
import { Piscina } from 'piscina';
import type * as hdr from 'hdr-histogram-js';
import { allocateMetrics, createLayout, EPOCH_F64, GlobalSlot, RunState, type MetricsLayout } from '../metrics/layout.js';
import { Snapshot } from '../metrics/snapshot.js';
import { MetricsRecorder } from '../metrics/recorder.js';
import { addSlots, newHistogram } from '../metrics/histogram.js';
import { wallMs } from './clock.js';
import type { Pacer } from './pacer.js';
import type { RequestSpec, WorkerReport, WorkerTask } from './worker-task.js';
import type { ProfileTask } from '../profile-run/profile-task.js';
import type { TimeSeriesPoint } from '../results/model.js';
import { fromErrorData, RacerigError } from '../errors.js';

/**
 * EngineConfig is what the engine itself needs; what the workers do is in the tasks `task` builds
 * (a `run <url>` WorkerTask, or a profile phase's ProfileTask).
 */
export interface EngineConfig {
  /** Worker threads (each runs one task). */
  workers: number;
  operations: string[];
  /** Indices of measurement operations (samples that are not requests: left out of totals). */
  measurementOperations?: number[];
  /** Stream operations → the measurement operations recording their durations (see MetricsLayout.streams). */
  streamOperations?: Record<number, number>;
  /** u32 slots reserved after the operation blocks (tickets, token buckets); default 64. */
  extraSlots?: number;
  /** Planned length of the run, ms (Infinity: unbounded). */
  durationMs: number;
  /** Builds worker `index`'s task (plain data) once the shared buffer exists. */
  task: (index: number, workers: number, layout: MetricsLayout, buffer: SharedArrayBuffer) => WorkerTask | ProfileTask;
  /** Target rate at a run time, per second, for the live view (NaN or absent: none). */
  rateAt?: (elapsedMs: number) => number;
  /** Counts `count` units still in flight in workers that did not report after an abort (`run <url>`: aborted requests). */
  abortedInFlight?: (recorder: MetricsRecorder, count: number) => void;
  /** Called once per second on the main thread with the cumulative snapshot and the last interval. */
  onTick?: (tick: EngineTick) => void;
  /** Called on the main thread while the workers start (loading, warming up, connecting), with how many are ready; at most every few ms, on change. */
  onStarting?: (ready: number, workers: number) => void;
  /**
   * With a finite duration: work still in flight this long (ms) after the duration is aborted and
   * counted as `aborted`, so the run ends by duration + endGraceMs whatever the target does
   * (runs pass --timeout). Undefined: in-flight work is waited for.
   */
  endGraceMs?: number;
  /**
   * Wall-clock epoch ms at which the run's clock starts (`--start-at`: shards on several machines share
   * one schedule). The workers are released then; when they were ready only later, the clock still
   * starts at this time (arrivals already due start late) and the lateness is reported.
   */
  startAtWallMs?: number;
  /** The open-model arrival schedules whose unclaimed arrivals are dropped work. */
  arrivals?: (layout: MetricsLayout) => ArrivalAccount[];
}

/**
 * ArrivalAccount is one open-model schedule as the workers follow it: after the run, the arrivals it
 * planned before the end (or the stop) that no worker claimed are counted as dropped, here only.
 */
export interface ArrivalAccount {
  pacer: Pacer;
  /** u32 slot of its ticket counter (arrivals claimed). */
  ticketSlot: number;
  /** drop records `count` unclaimed arrivals as dropped. */
  drop: (recorder: MetricsRecorder, count: number) => void;
}

/** ABORT_SETTLE_MS is how long an abort waits for the workers to count what was in flight before the result is built, ms. */
const ABORT_SETTLE_MS = 1500;

/** EngineTick is what the live view receives every second; its snapshots are reused, valid until the next tick. */
export interface EngineTick {
  elapsedMs: number;
  total: Snapshot;
  interval: Snapshot;
  intervalMs: number;
  /** Target rate now, per second (NaN in the closed model). */
  targetRate: number;
  point: TimeSeriesPoint;
}

/** EngineOutcome is what a finished (or stopped) run measured. */
export interface EngineOutcome {
  layout: MetricsLayout;
  startedWallMs: number;
  endedWallMs: number;
  /** From the start signal to the end of the last request (or the abort), ms. */
  elapsedMs: number;
  final: Snapshot;
  timeSeries: TimeSeriesPoint[];
  /** Merged start lateness of open-model requests, µs (empty in the closed model). */
  lateness: hdr.Histogram;
  /** Why the run ended early, if it did: 'interrupted' (stop/abort) or a worker failure. */
  stoppedBy?: string;
  /** Run-clock ms at which `stop()` or `abort()` was called (absent when the run ended on its own): arrivals planned after it were never due. */
  stoppedAtMs?: number;
  aborted: boolean;
  /** Whether the end bound (duration + endGraceMs) aborted work still in flight. */
  cut: boolean;
  workerErrors: RacerigError[];
  /** Every worker's report (empty when aborted). */
  reports: WorkerReport[];
  /** With `startAtWallMs`: how late the workers were released after it, ms (0 when on time). */
  startLatenessMs?: number;
}

/** LoadEngine runs one load run; create it, then `start()`, and call `stop()` / `abort()` from signal handlers. */
export class LoadEngine {
  readonly layout: MetricsLayout;
  private readonly buffer: SharedArrayBuffer;
  private readonly view: Uint32Array;
  private stoppedBy: string | undefined;
  private stoppedAtMs: number | undefined;
  /** Wall-clock ms of the start signal (NaN before it). */
  private epoch = NaN;
  private abortNow: (() => void) | undefined;

  constructor(private readonly config: EngineConfig) {
    this.layout = createLayout(config.operations, config.extraSlots, config.measurementOperations, config.streamOperations);
    this.buffer = allocateMetrics(this.layout);
    this.view = new Uint32Array(this.buffer);
  }

  /**
   * stop asks workers to send nothing new and finish what is in flight (bounded by the request
   * timeout); with `graceMs`, what is still in flight after that long is aborted (see abort).
   */
  stop(reason = 'interrupted', graceMs?: number): void {
    this.stoppedBy ??= reason;
    this.markStopped();
    Atomics.compareExchange(this.view, GlobalSlot.STATE, RunState.Running, RunState.Stopping);
    if (graceMs !== undefined && Number.isFinite(graceMs)) {
      clearTimeout(this.graceTimer);
      this.graceTimer = setTimeout(() => this.abort(reason), graceMs);
      this.graceTimer.unref();
    }
  }

  /**
   * abort ends the run now: connections are destroyed, requests in flight are counted as `aborted`
   * (the workers get up to ABORT_SETTLE_MS to count them), and `start()` resolves with what was measured.
   */
  abort(reason = 'interrupted'): void {
    this.stoppedBy ??= reason;
    this.markStopped();
    this.hardStop();
  }

  private hardStop(): void {
    if (Atomics.load(this.view, GlobalSlot.STATE) !== RunState.Aborting && this.stoppedAtMs === undefined) this.cut = true;
    Atomics.store(this.view, GlobalSlot.STATE, RunState.Aborting);
    this.abortNow?.();
  }

  private markStopped(): void {
    this.stoppedAtMs ??= Number.isNaN(this.epoch) ? 0 : Math.max(0, wallMs() - this.epoch);
  }

  private graceTimer: NodeJS.Timeout | undefined;
  private cut = false;

  /** start runs the load to its end and resolves with the outcome; it rejects only on internal failure. */
  async start(): Promise<EngineOutcome> {
    const c = this.config;
    const workers = Math.max(1, c.workers);
    const pool = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
    const tasks: Promise<WorkerReport>[] = [];
    for (let w = 0; w < workers; w++) tasks.push(pool.run(c.task(w, workers, this.layout, this.buffer)));
    const settled = Promise.allSettled(tasks);
    // Wait until every worker has connected its clients and waits for the start signal.
    let shownReady = -1;
    while (Atomics.load(this.view, GlobalSlot.READY) < workers) {
      const ready = Atomics.load(this.view, GlobalSlot.READY);
      if (ready !== shownReady) c.onStarting?.((shownReady = ready), workers);
      const r = await Promise.race([settled.then(() => 'settled' as const), delay(2).then(() => 'tick' as const)]);
      if (r === 'settled') break;
      if (this.stoppedBy) break;
    }
    const timeSeries: TimeSeriesPoint[] = [];
    // Three reused copies of the buffer (the previous and the current cumulative snapshot, and their
    // difference): the snapshots a tick hands out are valid until the next tick. The first is taken
    // before the start signal: a request recorded between the signal and that copy would be in the
    // totals but in no interval of the time series.
    const copies = [0, 1, 2].map(() => new Uint32Array(this.view.length));
    let prev = Snapshot.takeInto(this.layout, this.buffer, 0, copies[0]!);
    if (c.startAtWallMs !== undefined) await waitUntilWallMs(c.startAtWallMs, () => this.stoppedBy !== undefined);
    const startLatenessMs = c.startAtWallMs === undefined ? undefined : Math.max(0, wallMs() - c.startAtWallMs);
    const epoch = c.startAtWallMs !== undefined && !this.stoppedBy ? c.startAtWallMs : wallMs();
    this.epoch = epoch;
    new Float64Array(this.buffer)[EPOCH_F64] = epoch;
    Atomics.store(new Int32Array(this.buffer), GlobalSlot.GO, 1);
    Atomics.notify(new Int32Array(this.buffer), GlobalSlot.GO);
    let tickNo = 0;
    const tick = (at?: number) => {
      const elapsedMs = Math.max(at ?? wallMs() - epoch, prev.atMs);
      const total = Snapshot.takeInto(this.layout, this.buffer, elapsedMs, prev.data === copies[0] ? copies[1]! : copies[0]!);
      const interval = total.minus(prev, copies[2]!);
      const intervalMs = elapsedMs - prev.atMs;
      prev = total;
      const t = interval.totals();
      const [p50, p99] = interval.percentilesAll([50, 99]);
      const point: TimeSeriesPoint = {
        t: Math.round(elapsedMs) / 1000,
        requests: t.requests,
        errors: t.errors,
        dropped: t.dropped,
        p50: p50!,
        p99: p99!,
        inFlight: total.inFlight,
        ...(Object.keys(this.layout.streams).length > 0 ? { openStreams: total.openStreams } : {}),
      };
      timeSeries.push(point);
      c.onTick?.({ elapsedMs, total, interval, intervalMs, targetRate: c.rateAt?.(elapsedMs) ?? NaN, point });
    };
    let timer: NodeJS.Timeout | undefined;
    const schedule = () => {
      tickNo++;
      timer = setTimeout(() => {
        tick(undefined);
        schedule();
      }, Math.max(0, epoch + tickNo * 1000 - wallMs()));
    };
    schedule();
    // The run's end bound: duration + endGraceMs, whatever the target does (see EngineConfig.endGraceMs).
    const endBound =
      c.endGraceMs !== undefined && Number.isFinite(c.durationMs) ? setTimeout(() => this.hardStop(), Math.max(0, epoch + c.durationMs + c.endGraceMs - wallMs())) : undefined;

    const aborted = new Promise<'aborted'>((resolve) => (this.abortNow = () => resolve('aborted')));
    if (Atomics.load(this.view, GlobalSlot.STATE) === RunState.Aborting) this.abortNow?.();
    let how = await Promise.race([settled, aborted]);
    const abortedAt = wallMs();
    // Connections are being destroyed: the workers count what was in flight as aborted and report.
    if (how === 'aborted') {
      let settleTimer: NodeJS.Timeout | undefined;
      how = await Promise.race([settled, new Promise<'aborted'>((r) => (settleTimer = setTimeout(() => r('aborted'), ABORT_SETTLE_MS)))]);
      clearTimeout(settleTimer);
    }
    clearTimeout(timer);
    clearTimeout(endBound);
    clearTimeout(this.graceTimer);
    let endedWallMs = how === 'aborted' ? abortedAt : wallMs();
    let elapsedMs = endedWallMs - epoch;
    const workerErrors: RacerigError[] = [];
    const reports: WorkerReport[] = [];
    const lateness = newHistogram();
    if (how !== 'aborted') {
      // The measured span ends at the last completion, not when the pool finished closing sockets.
      let lastEnd = 0;
      for (const r of how) if (r.status === 'fulfilled') reports.push(r.value);
      for (const r of how) {
        if (r.status === 'rejected') workerErrors.push(new RacerigError('RACERIG_WORKER', String((r.reason as Error)?.message ?? r.reason)));
        else if (r.value.error) workerErrors.push(fromErrorData(r.value.error));
        else {
          addSlots(lateness, r.value.lateness);
          lastEnd = Math.max(lastEnd, r.value.lastEndMs);
        }
      }
      if (lastEnd > 0 && workerErrors.length === 0) {
        elapsedMs = lastEnd;
        endedWallMs = epoch + lastEnd;
      }
    }
    // Workers that did not report after an abort: what they had in flight counts as aborted.
    if (how === 'aborted' && c.abortedInFlight) {
      const left = Atomics.load(this.view, GlobalSlot.IN_FLIGHT);
      if (left > 0 && left < 0x80000000) {
        c.abortedInFlight(new MetricsRecorder(this.layout, this.buffer), left);
        Atomics.sub(this.view, GlobalSlot.IN_FLIGHT, left);
      }
    }
    // Planned open-model arrivals that were due before the end (or the stop: later ones never were) and
    // that no worker claimed are dropped work. Workers that ran to the end were there for every arrival
    // of the duration; when every worker failed, arrivals after the failure were never due either.
    const accounts = c.arrivals?.(this.layout) ?? [];
    const dueBy = this.stoppedAtMs ?? (how !== 'aborted' && workerErrors.length >= workers ? elapsedMs : Infinity);
    for (const a of accounts) {
      const unclaimed = a.pacer.plannedBy(dueBy) - Atomics.load(this.view, a.ticketSlot);
      if (unclaimed > 0 && Number.isFinite(unclaimed)) a.drop(new MetricsRecorder(this.layout, this.buffer), unclaimed);
    }
    // A final partial interval, so the time series adds up to the totals.
    const before = prev.totals();
    const now = Snapshot.take(this.layout, this.buffer, elapsedMs).totals();
    if (now.requests !== before.requests || now.dropped !== before.dropped || elapsedMs - prev.atMs >= 50) tick(elapsedMs);
    const final = Snapshot.take(this.layout, this.buffer, elapsedMs);
    if (how === 'aborted') void pool.destroy().catch(() => {});
    else await pool.destroy();
    return {
      layout: this.layout,
      startedWallMs: epoch,
      endedWallMs,
      elapsedMs,
      final,
      timeSeries,
      lateness,
      stoppedBy: this.stoppedBy ?? (workerErrors.length ? 'worker failure' : undefined),
      ...(this.stoppedAtMs !== undefined ? { stoppedAtMs: this.stoppedAtMs } : {}),
      aborted: how === 'aborted' || Atomics.load(this.view, GlobalSlot.STATE) === RunState.Aborting,
      cut: this.cut,
      workerErrors,
      reports,
      ...(startLatenessMs !== undefined ? { startLatenessMs: Math.round(startLatenessMs * 1000) / 1000 } : {}),
    };
  }
}

/** spread divides `n` units over the request kinds in the order they are sent and calls `add` once per operation with its share. */
export function spread(requests: readonly RequestSpec[], n: number, add: (op: number, count: number) => void): void {
  if (requests.length === 0) return;
  const per = new Map<number, number>();
  for (let k = 0; k < requests.length; k++) {
    const op = requests[k]!.operation;
    const share = Math.floor(n / requests.length) + (k < n % requests.length ? 1 : 0);
    per.set(op, (per.get(op) ?? 0) + share);
  }
  for (const [op, count] of per) if (count > 0) add(op, count);
}

/** waitUntilWallMs resolves at wall-clock `atMs` (timers, then a spin of at most 2 ms), or early once `stopped()`; the main thread stays responsive. */
async function waitUntilWallMs(atMs: number, stopped: () => boolean): Promise<void> {
  for (let left = atMs - wallMs(); left > 2 && !stopped(); left = atMs - wallMs()) await delay(Math.min(100, left - 2));
  while (wallMs() < atMs && !stopped()) {
    // spin: timers are only accurate to about a millisecond
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
