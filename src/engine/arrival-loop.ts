/**
 * ArrivalLoop paces units of work (single requests, or whole scenario iterations) for one or more
 * components inside one worker thread. Each component has its own load model. Open-model arrivals
 * are claimed from a ticket counter in the shared buffer, so a component's rate is global across
 * workers; an arrival that cannot start on time starts late (its intended time is passed on, so
 * latency is still counted from it) or, past `maxLagMs`, is dropped and counted. The closed model
 * starts a unit whenever the work source has capacity. Never posts a message per unit.
 */
import { GlobalSlot, RunState } from '../metrics/layout.js';
import { COUNTS_LENGTH, HIGHEST_US, indexOf, slotPairs } from '../metrics/hdr-layout.js';
import type { RunClock } from './clock.js';
import type { Pacer } from './pacer.js';
import type { MetricsRecorder } from '../metrics/recorder.js';

/** How often an idle or blocked loop re-checks the shared state, ms. */
const WATCHDOG_MS = 20;

/** LoopComponent is one component's schedule inside a worker. */
export interface LoopComponent {
  pacer: Pacer;
  /** Closed model: stop after this many units across all workers (Infinity: no bound). */
  maxUnits: number;
  /** Closed model: stop starting units after this much run time, ms. */
  durationMs: number;
  /** Open model: an arrival later than this when capacity frees up is dropped, ms. */
  maxLagMs: number;
  /**
   * Open model: when a completion wakes the loop, an arrival due less than this long ago waits (ms;
   * 0: none). It starts once it is this late, together with every other arrival due by then: at high
   * rates requests go out in small groups, so the target and the worker wake up once per group rather
   * than once per request. If nothing is in flight the loop sleeps until then (precisely); otherwise
   * the next completion or the timer (1 ms resolution) starts it. Lateness is recorded as always, and
   * latency is counted from the planned time.
   */
  gatherMs: number;
  /** u32 slot in the shared view counting claimed units (open: next ticket; closed: units started). */
  ticketSlot: number;
}

/** WorkSource starts units; it calls `loop.done(component)` exactly once per started unit, when it ends. */
export interface WorkSource {
  /** capacity tells how many more units of `component` this worker can start now. */
  capacity(component: number): number;
  /** admit reserves room under any global cap; false blocks starting for now (the loop retries shortly). */
  admit?(): boolean;
  /** release gives back an admission that was not used. */
  release?(): void;
  /** start begins unit `unit` of `component`; `intendedAt` is its planned start on the run clock (open model). */
  start(component: number, unit: number, intendedAt: number | undefined, now: number): void;
  /** dropped counts `count` units of `component` from `unit` on (default 1) as planned but never started. */
  dropped(component: number, unit: number, count?: number): void;
}

/** ArrivalLoop drives a worker's components until each is finished and nothing is in flight. */
export class ArrivalLoop {
  private readonly inFlight: number[];
  private readonly finished: boolean[];
  private allFinished = false;
  private aborted = false;
  private pumping = false;
  private pumpAgain = false;
  private pumpQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private resolveDone!: () => void;
  private readonly donePromise = new Promise<void>((r) => (this.resolveDone = r));
  /**
   * Start lateness of open-model units, µs, as counts in HdrHistogram's slots (hdr-layout.ts): a
   * slot increment per start, where hdr-histogram-js's recordValue computed its slot with pow.
   */
  private readonly latenessCounts = new Float64Array(COUNTS_LENGTH);
  /** Units started by this worker. */
  started = 0;
  /** Run-clock ms at which the last unit ended. */
  lastEndMs = 0;

  private readonly view: Uint32Array;
  /** Never notified: Atomics.wait on it is a precise sleep. */
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly recorder: MetricsRecorder,
    private readonly clock: RunClock,
    private readonly components: readonly LoopComponent[],
    private readonly source: WorkSource,
    /** Called once when the loop aborts (second Ctrl-C): destroy connections so units end now. */
    private readonly onAbort: () => void = () => {},
  ) {
    this.view = recorder.view;
    this.inFlight = components.map(() => 0);
    this.finished = components.map(() => false);
  }

  /** run paces until every component is finished and every started unit has ended. */
  run(): Promise<void> {
    this.watchdog = setInterval(() => this.pump(), WATCHDOG_MS);
    this.pump();
    return this.donePromise.finally(() => clearInterval(this.watchdog));
  }

  /** latenessSlots returns the start lateness of this loop's open-model units so far (µs) as flat (slot, count) pairs (see slotPairs). */
  latenessSlots(): number[] {
    return slotPairs(this.latenessCounts);
  }

  /** wasAborted tells whether the run was aborted (connections should be destroyed, not closed). */
  get wasAborted(): boolean {
    return this.aborted;
  }

  /** done is called by the work source when a unit of `component` ends (from any callback). */
  done(component: number): void {
    this.inFlight[component]!--;
    this.lastEndMs = this.clock();
    // Never start work from inside a network library's callbacks: pump once the stack has unwound.
    if (!this.pumpQueued) {
      this.pumpQueued = true;
      queueMicrotask(this.queuedPump);
    }
  }

  private readonly queuedPump = (): void => {
    this.pumpQueued = false;
    this.gathering = true;
    this.pump();
  };
  /** The running pump may hold due arrivals to gather them (it was queued by a completion, or slept); not a timer or watchdog pump. Reset when the pump ends. */
  private gathering = false;

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
      this.gathering = false; // a sleep inside a timer's pump must not make later timer pumps gather
    }
  }

  private pumpOnce(): void {
    const state = Atomics.load(this.view, GlobalSlot.STATE);
    if (state === RunState.Aborting) {
      if (!this.aborted) {
        this.aborted = true;
        this.finished.fill(true);
        this.onAbort();
      }
    } else if (state !== RunState.Running) {
      this.finished.fill(true);
    }
    const now = this.clock();
    let wakeAt = Infinity;
    let blocked = false;
    for (let c = 0; c < this.components.length; c++) {
      if (this.finished[c]) continue;
      const r = this.components[c]!.pacer.open ? this.pumpOpen(c, now) : this.pumpClosed(c, now);
      if (r === BLOCKED) blocked = true;
      else if (r > 0 && r < wakeAt) wakeAt = r;
    }
    if (this.finished.every(Boolean)) {
      this.allFinished = true;
      if (this.inFlight.every((n) => n === 0)) return this.finish();
      return; // in-flight units pump again as they end
    }
    if (blocked) this.wake(now + 1, now);
    else if (wakeAt !== Infinity) {
      if (wakeAt - now < SLEEP_MAX_MS && this.inFlight.every(isZero)) {
        // Nothing in flight, so no response can need this thread before the next arrival is due:
        // sleep until then (a futex wait) instead of on a 1 ms timer (docs/performance.md).
        Atomics.wait(this.sleeper, 0, 0, wakeAt - now);
        this.gathering = true;
        this.pumpAgain = true;
      } else this.wake(wakeAt, now);
    }
  }

  /** pumpOpen starts due arrivals of an open-model component; returns the next due time, BLOCKED, or 0. */
  private pumpOpen(c: number, now: number): number {
    const comp = this.components[c]!;
    const src = this.source;
    // Called from a completion or after a sleep, an arrival is started only once it is `gatherMs`
    // late, then together with every other arrival due by then (see LoopComponent.gatherMs), unless
    // no other arrival falls in that window (a lone arrival gains nothing by waiting); timer pumps
    // start what is due.
    let hold = this.gathering ? comp.gatherMs : 0;
    if (now >= comp.durationMs + Math.min(comp.maxLagMs, END_SLACK_MS)) {
      // The duration is over: nothing more starts (so a run ends by its duration + one --timeout, not
      // + --max-lag); the main thread counts the planned arrivals nobody claimed as dropped (LoadEngine).
      this.finished[c] = true;
      return 0;
    }
    while (src.capacity(c) > 0) {
      const i = Atomics.load(this.view, comp.ticketSlot);
      const at = comp.pacer.arrivalMs(i);
      if (at === Infinity) {
        this.finished[c] = true;
        return 0;
      }
      if (at > now) return at;
      if (at > now - hold && comp.pacer.arrivalMs(i + 1) <= at + hold) return at + hold;
      hold = 0;
      if (src.admit && !src.admit()) return BLOCKED;
      if (Atomics.compareExchange(this.view, comp.ticketSlot, i, i + 1) !== i) {
        src.release?.();
        continue; // another worker took it
      }
      const lateMs = now - at;
      if (lateMs > comp.maxLagMs) {
        src.release?.();
        // Every arrival due before now - maxLag is dropped: counted at once, never iterated (-r 1e9).
        const upTo = Math.max(i + 1, comp.pacer.plannedBy(now - comp.maxLagMs));
        const last = upTo > i + 1 ? Atomics.compareExchange(this.view, comp.ticketSlot, i + 1, upTo) : i + 1;
        src.dropped(c, i, last === i + 1 ? upTo - i : 1);
        continue;
      }
      const lateUs = Math.round(lateMs * 1000);
      this.latenessCounts[indexOf(lateUs <= 0 ? 0 : Math.min(lateUs, HIGHEST_US))]++;
      if (lateUs >= 1000) this.recorder.late();
      this.inFlight[c]!++;
      this.started++;
      src.start(c, i, at, now);
    }
    // No capacity (an ending unit pumps again). A worker whose share of the cap is 0 never gets any, so
    // it still ends the component here once every arrival was claimed (by any worker).
    if (comp.pacer.arrivalMs(Atomics.load(this.view, comp.ticketSlot)) === Infinity) this.finished[c] = true;
    return 0;
  }

  /** pumpClosed starts units of a closed-model component while there is capacity. */
  private pumpClosed(c: number, now: number): number {
    const comp = this.components[c]!;
    const src = this.source;
    if (now >= comp.durationMs) {
      this.finished[c] = true;
      return 0;
    }
    // At most the capacity at entry: a unit that fails at once frees its slot during start(), and
    // the loop must still come back to read the clock and the run state (it pumps again from done()).
    let budget = src.capacity(c);
    while (budget-- > 0 && src.capacity(c) > 0) {
      if (src.admit && !src.admit()) return BLOCKED;
      const unit = Atomics.add(this.view, comp.ticketSlot, 1);
      if (unit >= comp.maxUnits) {
        src.release?.();
        this.finished[c] = true;
        return 0;
      }
      this.inFlight[c]!++;
      this.started++;
      src.start(c, unit, undefined, now);
    }
    // Without capacity (a worker whose share of the workers is 0): ended once every unit was started.
    if (Atomics.load(this.view, comp.ticketSlot) >= comp.maxUnits) this.finished[c] = true;
    return 0;
  }

  private wake(at: number, now: number): void {
    if (this.timer) return;
    const delay = at - now;
    // A timer: spinning on setImmediate starves response processing, and sleeping on the thread would
    // delay the responses in flight; completions also pump between ticks (docs/performance.md).
    this.timer = setTimeout(this.onTimer, delay >= 2 ? Math.floor(delay) - 1 : 1);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.pump();
  };

  private finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.resolveDone();
  }

  /** finishedAll tells whether no component will start more units. */
  get finishedAll(): boolean {
    return this.allFinished;
  }
}

const BLOCKED = -1;
/** Open model: arrivals due before the end may still start this long after the duration (at most --max-lag), ms. */
const END_SLACK_MS = 100;
/** The longest the loop sleeps on the thread rather than on a timer, ms (only while nothing is in flight). */
const SLEEP_MAX_MS = 2;
const isZero = (n: number): boolean => n === 0;
