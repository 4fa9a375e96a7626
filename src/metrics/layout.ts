/**
 * The SharedArrayBuffer layout of a run's live metrics: a global control block, then one block per
 * operation (counters, status codes, error kinds, two latency histograms). The layout is fixed
 * before workers start; every slot is a 32-bit unsigned integer updated with `Atomics`.
 */
import { COUNTS_LENGTH } from './hdr-layout.js';

/** ERROR_KINDS are the transport failure kinds counted per operation, in slot order. */
export const ERROR_KINDS = ['refused', 'reset', 'timeout', 'tls', 'dns', 'aborted', 'other', 'protocol'] as const;
/** ErrorKind is one transport failure kind. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** STATUS_REASONS are the metav1 Status reasons counted per operation for error responses, in slot order ('Unknown' last). */
export const STATUS_REASONS = [
  'BadRequest',
  'Unauthorized',
  'Forbidden',
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Gone',
  'Expired',
  'Invalid',
  'ServerTimeout',
  'Timeout',
  'TooManyRequests',
  'MethodNotAllowed',
  'NotAcceptable',
  'RequestEntityTooLarge',
  'UnsupportedMediaType',
  'InternalError',
  'ServiceUnavailable',
  'Unknown',
] as const;

/** WATCH_EVENT_TYPES are the watch event types counted per operation, in slot order (from OpSlot.WATCH_EVENTS). */
export const WATCH_EVENT_TYPES = ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR'] as const;

/** GlobalSlot names the u32 slots of the control block (run state, tickets, in-flight counts, start barrier). */
export const GlobalSlot = {
  /** Run state: 0 running, 1 stop gracefully (no new requests), 2 abort now. */
  STATE: 0,
  /** Next open-model arrival index (global ticket counter shared by all workers). */
  TICKET: 1,
  /** Closed-model requests claimed so far (for the --requests bound). */
  CLAIMED: 2,
  /** Requests currently in flight, all workers together. */
  IN_FLIGHT: 3,
  /** Requests started 1 ms or more after their intended time (open model). */
  LATE: 5,
  /** Workers that are connected-ready and waiting for the start signal. */
  READY: 7,
  /** Start signal: 0 wait, 1 go (the run epoch is in EPOCH_F64). */
  GO: 8,
  /** Streams open (watches, followed logs, exec sessions established and not yet ended), all workers together. */
  OPEN_STREAMS: 12,
  /** Profile runs: iterations in flight of components that hold no watch for the phase, all workers together. */
  WORK_IN_FLIGHT: 13,
} as const;
/** Index (in Float64 units) of the run epoch: wall-clock ms (performance.timeOrigin based) at which the run started. */
export const EPOCH_F64 = 5; // bytes 40..47, u32 slots 10 and 11
/** GLOBAL_SLOTS is the size of the control block in u32 slots. */
export const GLOBAL_SLOTS = 16;
/** Extra u32 slots at the end of the buffer for other shared state (e.g. rate limiters). */
export const DEFAULT_EXTRA_SLOTS = 64;

/** STATE values of GlobalSlot.STATE. */
export const RunState = { Running: 0, Stopping: 1, Aborting: 2 } as const;

/** OpSlot names the offsets (u32 slots) inside one operation block (counters, status codes, error kinds, histograms). */
export const OpSlot = {
  REQUESTS: 0,
  ERRORS: 1,
  DROPPED: 2,
  BYTES_IN_LO: 3,
  BYTES_IN_HI: 4,
  BYTES_OUT_LO: 5,
  BYTES_OUT_HI: 6,
  /** Watch operations: one slot per WATCH_EVENT_TYPES entry, events received by type. */
  WATCH_EVENTS: 7,
  /** Watch operations: lists after the first (after a 410 Expired or an error). */
  WATCH_RELISTS: 12,
  /** Watch operations: 410 Expired / Gone answers and in-stream ERROR events with code 410. */
  WATCH_EXPIRED: 13,
  /** Watch operations: watch requests sent after the first (stream ended, or relisted). */
  WATCH_REWATCHES: 14,
  /** 600 slots: responses by status code 0..599. */
  STATUS: 16,
  /** One slot per ERROR_KINDS entry. */
  ERROR_KINDS: 16 + 600,
  /** One slot per STATUS_REASONS entry: error responses by metav1 Status reason. */
  REASONS: 16 + 600 + 16,
  /** Corrected latency histogram (from intended start), COUNTS_LENGTH slots. */
  LATENCY: 16 + 600 + 16 + 32,
  /** Uncorrected latency histogram (from actual send), COUNTS_LENGTH slots. */
  UNCORRECTED: 16 + 600 + 16 + 32 + COUNTS_LENGTH,
} as const;
/** STATUS_SLOTS is the number of status code slots (codes 0..599; others count as 0). */
export const STATUS_SLOTS = 600;
/** OP_BLOCK_SLOTS is the size of one operation block in u32 slots. */
export const OP_BLOCK_SLOTS = OpSlot.UNCORRECTED + COUNTS_LENGTH;

/** MetricsLayout maps operation names to their blocks in the shared buffer. */
export interface MetricsLayout {
  /** Operation names; an operation's index is its position here. */
  operations: readonly string[];
  /**
   * Indices of measurement operations: they record samples of something that is not a request (a
   * watch event's delivery lag, a wait in the client-side rate limiter), so run totals, error rates
   * and the all-operations percentiles leave them out.
   */
  measurements: readonly number[];
  /** Stream operations (watches, followed logs, exec sessions): operation index → the measurement operation recording their durations. */
  streams: Readonly<Record<number, number>>;
  /** Index of the first extra slot (after every operation block). */
  extraBase: number;
  extraSlots: number;
  /** Total size in bytes. */
  byteLength: number;
}

/**
 * createLayout computes the layout for the given operation names (unique, in order); `measurements` marks
 * measurement operations by index, `streams` maps stream operations to their duration operations (measurements).
 */
export function createLayout(operations: readonly string[], extraSlots = DEFAULT_EXTRA_SLOTS, measurements: readonly number[] = [], streams: Readonly<Record<number, number>> = {}): MetricsLayout {
  if (measurements.some((m) => !Number.isInteger(m) || m < 0 || m >= operations.length)) throw new Error('measurement operations must index operations');
  if (new Set(operations).size !== operations.length) throw new Error('operation names must be unique');
  const extraBase = GLOBAL_SLOTS + operations.length * OP_BLOCK_SLOTS;
  // An even slot count keeps the byte length a multiple of 8 (Float64 and BigInt64 views of the buffer).
  const total = extraBase + extraSlots + ((extraBase + extraSlots) % 2);
  const all = new Set(measurements);
  for (const [op, duration] of Object.entries(streams)) {
    if (!(Number(op) < operations.length && duration < operations.length) || all.has(Number(op))) throw new Error('stream operations must index request operations');
    all.add(duration);
  }
  return { operations: [...operations], measurements: [...all].sort((a, b) => a - b), streams: { ...streams }, extraBase, extraSlots, byteLength: total * 4 };
}

/** opBase returns the first u32 slot of operation `op`'s block. */
export function opBase(op: number): number {
  return GLOBAL_SLOTS + op * OP_BLOCK_SLOTS;
}

/** allocateMetrics allocates the zeroed shared buffer of a layout. */
export function allocateMetrics(layout: MetricsLayout): SharedArrayBuffer {
  return new SharedArrayBuffer(layout.byteLength);
}
