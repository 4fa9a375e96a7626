/**
 * Snapshots of the shared metrics, read on the main thread: a copy of the whole buffer at one moment,
 * per-operation views of it, and the difference between two snapshots (one interval).
 */
import { COUNTS_LENGTH } from './hdr-layout.js';
import { ERROR_KINDS, GlobalSlot, OpSlot, STATUS_REASONS, STATUS_SLOTS, WATCH_EVENT_TYPES, opBase, type MetricsLayout } from './layout.js';
import { countsToHistogram, percentileOfCounts } from './histogram.js';
import type * as hdr from 'hdr-histogram-js';

/** OperationCounters are one operation's counters at a snapshot. */
export interface OperationCounters {
  requests: number;
  errors: number;
  dropped: number;
  bytesIn: number;
  bytesOut: number;
  status: Record<string, number>;
  errorKinds: Record<string, number>;
  /** Error responses by metav1 Status reason (e.g. Conflict, AlreadyExists, NotFound). */
  reasons: Record<string, number>;
  /** Number of responses recorded in the latency histograms. */
  responses: number;
  /** Watch operations (absent when every watch counter is 0): events by type, relists, 410s, re-watches. */
  watch?: WatchCounts;
}

/** WatchCounts are a watch operation's counters: events received by type (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), relists, 410 Expired answers and re-watches. */
export interface WatchCounts {
  events: Record<string, number>;
  relists: number;
  expired: number;
  rewatches: number;
}

/** Scratch histogram counts for percentilesAll over several operations (one per thread; used synchronously). */
let scratchCounts: Uint32Array | undefined;

/** Snapshot is a copy of the shared buffer taken at `atMs` (ms since the run's epoch). */
export class Snapshot {
  readonly layout: MetricsLayout;
  readonly data: Uint32Array;
  readonly atMs: number;

  constructor(layout: MetricsLayout, data: Uint32Array, atMs: number) {
    this.layout = layout;
    this.data = data;
    this.atMs = atMs;
  }

  /** take copies the live buffer now. */
  static take(layout: MetricsLayout, buffer: SharedArrayBuffer, atMs: number): Snapshot {
    return new Snapshot(layout, new Uint32Array(buffer).slice(), atMs);
  }

  /**
   * takeInto copies the live buffer now into `into` (a Uint32Array of the buffer's length) and wraps it:
   * the periodic tick reuses its copies, so a long run does not allocate a new ~200 KiB backing store
   * per operation per second (freed ones fragment the C heap: RSS grew with run length).
   */
  static takeInto(layout: MetricsLayout, buffer: SharedArrayBuffer, atMs: number, into: Uint32Array): Snapshot {
    into.set(new Uint32Array(buffer));
    return new Snapshot(layout, into, atMs);
  }

  /** global reads a control-block slot (see G). */
  global(slot: number): number {
    return this.data[slot]!;
  }

  /** inFlight is the number of requests in flight at the snapshot. */
  get inFlight(): number {
    return this.data[GlobalSlot.IN_FLIGHT]! | 0;
  }

  /** openStreams is the number of streams (watches, followed logs, exec sessions) open at the snapshot. */
  get openStreams(): number {
    return this.data[GlobalSlot.OPEN_STREAMS]! | 0;
  }

  /** counters returns operation `op`'s counters. */
  counters(op: number): OperationCounters {
    const d = this.data;
    const b = opBase(op);
    const status: Record<string, number> = {};
    let responses = 0;
    for (let s = 0; s < STATUS_SLOTS; s++) {
      const n = d[b + OpSlot.STATUS + s]!;
      if (n !== 0) {
        status[String(s)] = n;
        responses += n;
      }
    }
    const errorKinds: Record<string, number> = {};
    ERROR_KINDS.forEach((k, i) => {
      const n = d[b + OpSlot.ERROR_KINDS + i]!;
      if (n !== 0) errorKinds[k] = n;
    });
    const reasons: Record<string, number> = {};
    STATUS_REASONS.forEach((r, i) => {
      const n = d[b + OpSlot.REASONS + i]!;
      if (n !== 0) reasons[r] = n;
    });
    let watch: WatchCounts | undefined;
    const relists = d[b + OpSlot.WATCH_RELISTS]!;
    const expired = d[b + OpSlot.WATCH_EXPIRED]!;
    const rewatches = d[b + OpSlot.WATCH_REWATCHES]!;
    let anyEvent = relists + expired + rewatches > 0;
    const events: Record<string, number> = {};
    WATCH_EVENT_TYPES.forEach((t, i) => {
      const n = d[b + OpSlot.WATCH_EVENTS + i]!;
      events[t] = n;
      if (n !== 0) anyEvent = true;
    });
    if (anyEvent) watch = { events, relists, expired, rewatches };
    return {
      ...(watch ? { watch } : {}),
      requests: d[b + OpSlot.REQUESTS]!,
      errors: d[b + OpSlot.ERRORS]!,
      dropped: d[b + OpSlot.DROPPED]!,
      bytesIn: d[b + OpSlot.BYTES_IN_LO]! + d[b + OpSlot.BYTES_IN_HI]! * 2 ** 32,
      bytesOut: d[b + OpSlot.BYTES_OUT_LO]! + d[b + OpSlot.BYTES_OUT_HI]! * 2 ** 32,
      status,
      errorKinds,
      reasons,
      responses,
    };
  }

  /** latency returns operation `op`'s corrected latency histogram (µs) as an `hdr-histogram-js` histogram. */
  latency(op: number): hdr.Histogram {
    return countsToHistogram(this.data, opBase(op) + OpSlot.LATENCY);
  }

  /** uncorrected returns operation `op`'s uncorrected latency histogram (µs). */
  uncorrected(op: number): hdr.Histogram {
    return countsToHistogram(this.data, opBase(op) + OpSlot.UNCORRECTED);
  }

  /** minus returns the interval between `earlier` and this snapshot (every slot subtracted, wrapping as u32), written into `into` when given. */
  minus(earlier: Snapshot, into?: Uint32Array): Snapshot {
    const a = this.data;
    const b = earlier.data;
    const out = into ?? new Uint32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = (a[i]! - b[i]!) >>> 0;
    // 64-bit counters subtract with borrow.
    for (let op = 0; op < this.layout.operations.length; op++) {
      for (const lo of [opBase(op) + OpSlot.BYTES_IN_LO, opBase(op) + OpSlot.BYTES_OUT_LO]) {
        const diff = a[lo]! + a[lo + 1]! * 2 ** 32 - (b[lo]! + b[lo + 1]! * 2 ** 32);
        out[lo] = diff % 2 ** 32;
        out[lo + 1] = Math.floor(diff / 2 ** 32);
      }
    }
    // Gauges are not differences: keep this snapshot's values.
    out[GlobalSlot.IN_FLIGHT] = a[GlobalSlot.IN_FLIGHT]!;
    out[GlobalSlot.OPEN_STREAMS] = a[GlobalSlot.OPEN_STREAMS]!;
    out[GlobalSlot.WORK_IN_FLIGHT] = a[GlobalSlot.WORK_IN_FLIGHT]!;
    out[GlobalSlot.STATE] = a[GlobalSlot.STATE]!;
    return new Snapshot(this.layout, out, this.atMs);
  }

  /** percentilesAll returns corrected latency percentiles (µs) over all request operations together, e.g. [50, 99]. */
  percentilesAll(percentiles: readonly number[]): number[] {
    const n = this.layout.operations.length;
    const skip = this.layout.measurements;
    let counts: Uint32Array;
    if (n === 1) {
      counts = this.data.subarray(opBase(0) + OpSlot.LATENCY, opBase(0) + OpSlot.LATENCY + COUNTS_LENGTH);
    } else {
      counts = scratchCounts ??= new Uint32Array(COUNTS_LENGTH);
      counts.fill(0);
      for (let op = 0; op < n; op++) {
        if (skip.includes(op)) continue;
        const base = opBase(op) + OpSlot.LATENCY;
        for (let i = 0; i < COUNTS_LENGTH; i++) counts[i]! += this.data[base + i]!;
      }
    }
    let total = 0;
    for (let i = 0; i < COUNTS_LENGTH; i++) total += counts[i]!;
    return percentiles.map((p) => percentileOfCounts(counts, 0, total, p));
  }

  /** watchEvents sums the watch events of every type over all operations. */
  watchEvents(): number {
    let n = 0;
    for (let op = 0; op < this.layout.operations.length; op++) {
      const b = opBase(op) + OpSlot.WATCH_EVENTS;
      for (let i = 0; i < WATCH_EVENT_TYPES.length; i++) n += this.data[b + i]!;
    }
    return n;
  }

  /** totals sums requests, errors and dropped over all request operations (measurement operations left out). */
  totals(): { requests: number; errors: number; dropped: number } {
    let requests = 0;
    let errors = 0;
    let dropped = 0;
    const skip = this.layout.measurements;
    for (let op = 0; op < this.layout.operations.length; op++) {
      if (skip.includes(op)) continue;
      const b = opBase(op);
      requests += this.data[b + OpSlot.REQUESTS]!;
      errors += this.data[b + OpSlot.ERRORS]!;
      dropped += this.data[b + OpSlot.DROPPED]!;
    }
    return { requests, errors, dropped };
  }
}
