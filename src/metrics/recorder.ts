/**
 * MetricsRecorder is the worker-side writer of the shared metrics: every call is a handful of
 * `Atomics.add` on the shared buffer, safe from any number of threads at once, and never posts a message.
 */
import { clampUs, indexOf } from './hdr-layout.js';
import { ERROR_KINDS, GlobalSlot, OpSlot, STATUS_SLOTS, opBase, type ErrorKind, type MetricsLayout } from './layout.js';

const TWO_32 = 2 ** 32;
const ERROR_KIND_INDEX: Record<string, number> = Object.fromEntries(ERROR_KINDS.map((k, i) => [k, i]));

/** addU64 adds `n` (a non-negative integer) to a 64-bit counter stored as two u32 slots (lo, hi). */
function addU64(view: Uint32Array, lo: number, n: number): void {
  if (n <= 0) return;
  const low = n % TWO_32;
  const high = Math.floor(n / TWO_32);
  const old = Atomics.add(view, lo, low);
  const carry = old + low >= TWO_32 ? 1 : 0;
  if (carry + high > 0) Atomics.add(view, lo + 1, carry + high);
}

/** MetricsRecorder records request outcomes into a shared metrics buffer. */
export class MetricsRecorder {
  readonly view: Uint32Array;
  readonly layout: MetricsLayout;

  constructor(layout: MetricsLayout, buffer: SharedArrayBuffer) {
    this.layout = layout;
    this.view = new Uint32Array(buffer);
  }

  /** opIndex returns the index of an operation name, or -1 when the layout has no such operation. */
  opIndex(name: string): number {
    return this.layout.operations.indexOf(name);
  }

  /**
   * response records a completed response (any status, 101 for upgrades).
   * Latencies in microseconds: `correctedUs` from the intended start, `uncorrectedUs` from the send.
   */
  response(op: number, status: number, correctedUs: number, uncorrectedUs: number, bytesIn: number, bytesOut: number): void {
    const v = this.view;
    const b = opBase(op);
    Atomics.add(v, b + OpSlot.REQUESTS, 1);
    if (status >= 400) Atomics.add(v, b + OpSlot.ERRORS, 1);
    Atomics.add(v, b + OpSlot.STATUS + (status >= 0 && status < STATUS_SLOTS ? status : 0), 1);
    Atomics.add(v, b + OpSlot.LATENCY + indexOf(clampUs(correctedUs)), 1);
    Atomics.add(v, b + OpSlot.UNCORRECTED + indexOf(clampUs(uncorrectedUs)), 1);
    addU64(v, b + OpSlot.BYTES_IN_LO, bytesIn);
    addU64(v, b + OpSlot.BYTES_OUT_LO, bytesOut);
  }

  /** sample records one sample (µs) of a measurement operation (a delivery lag, a limiter wait, a stream's duration): no status, no bytes. */
  sample(op: number, us: number): void {
    const v = this.view;
    const b = opBase(op);
    const slot = indexOf(clampUs(us));
    Atomics.add(v, b + OpSlot.REQUESTS, 1);
    Atomics.add(v, b + OpSlot.LATENCY + slot, 1);
    Atomics.add(v, b + OpSlot.UNCORRECTED + slot, 1);
  }

  /** streamOpened counts a stream (its response already recorded with `response`) as open. */
  streamOpened(): void {
    Atomics.add(this.view, GlobalSlot.OPEN_STREAMS, 1);
  }

  /** streamEnded records the end of a stream of operation `op`: the body bytes it received, and its duration (µs) as a sample of `durationOp`. */
  streamEnded(op: number, durationOp: number, durationUs: number, bytesIn: number): void {
    Atomics.sub(this.view, GlobalSlot.OPEN_STREAMS, 1);
    addU64(this.view, opBase(op) + OpSlot.BYTES_IN_LO, bytesIn);
    this.sample(durationOp, durationUs);
  }

  /** inFlight adds `delta` (+1 or -1) to the requests in flight (GlobalSlot.IN_FLIGHT), for clients whose work source does not count them. */
  inFlight(delta: number): void {
    Atomics.add(this.view, GlobalSlot.IN_FLIGHT, delta);
  }

  /** failure records a request that got no response (a transport error of the given kind). */
  failure(op: number, kind: ErrorKind, bytesOut: number): void {
    const v = this.view;
    const b = opBase(op);
    Atomics.add(v, b + OpSlot.REQUESTS, 1);
    Atomics.add(v, b + OpSlot.ERRORS, 1);
    Atomics.add(v, b + OpSlot.ERROR_KINDS + (ERROR_KIND_INDEX[kind] ?? ERROR_KIND_INDEX.other!), 1);
    addU64(v, b + OpSlot.BYTES_OUT_LO, bytesOut);
  }

  /** reason counts one error response of operation `op` under its metav1 Status reason (a STATUS_REASONS index). */
  reason(op: number, reasonIndex: number): void {
    Atomics.add(this.view, opBase(op) + OpSlot.REASONS + reasonIndex, 1);
  }

  /** watch adds `n` to one of operation `op`'s watch counters: `slot` is OpSlot.WATCH_EVENTS + a WATCH_EVENT_TYPES index, OpSlot.WATCH_RELISTS, OpSlot.WATCH_EXPIRED or OpSlot.WATCH_REWATCHES. */
  watch(op: number, slot: number, n = 1): void {
    Atomics.add(this.view, opBase(op) + slot, n);
  }

  /** dropped counts `n` planned requests of an operation that were never sent (generator too far behind). */
  dropped(op: number, n = 1): void {
    Atomics.add(this.view, opBase(op) + OpSlot.DROPPED, n);
  }

  /** late counts a request that started 1 ms or more after its intended time (open model). */
  late(): void {
    Atomics.add(this.view, GlobalSlot.LATE, 1);
  }
}
