/**
 * Fault injection: latency per verb/resource (fixed, uniform, normal, lognormal), error answers
 * (500, 503, 429 with Retry-After), connection resets, periodic stalls, max-inflight limiting like
 * kube-apiserver (long-running requests exempt), and slow watch delivery. Changeable at run time.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestGate, GateContext } from './handler.js';
import { StatusError } from './status.js';
import type { Duplex } from 'node:stream';
import { sendStatus, sendText, writeRawStatus } from './http-util.js';

/** Distribution is a latency distribution in milliseconds. */
export type Distribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'normal'; meanMs: number; stddevMs: number }
  | { kind: 'lognormal'; medianMs: number; sigma: number };

/** RequestMatch selects requests by Kubernetes verb (get, list, create, …, or the metric verb POST, PUT, …) and resource; unset matches all. */
export interface RequestMatch {
  verb?: string;
  resource?: string;
}

/** LatencyRule delays matching requests by a sample of `distribution`. */
export interface LatencyRule extends RequestMatch {
  distribution: Distribution;
}

/** ErrorRule answers a `fraction` (0..1) of matching requests with `code` instead of serving them. */
export interface ErrorRule extends RequestMatch {
  code: 500 | 503 | 429;
  fraction: number;
  /** Retry-After seconds sent with 429 and 503 (default 1). */
  retryAfterSeconds?: number;
}

/** FaultConfig is the whole fault configuration; every part is optional. */
export interface FaultConfig {
  /** First matching rule wins. */
  latency?: LatencyRule[];
  /** Rules are tried in order; each draws its own random number. */
  errors?: ErrorRule[];
  /** Fraction (0..1) of requests whose connection is reset instead of answered. */
  resetFraction?: number;
  /** Every `everyMs`, for `forMs`, requests are held until the stall ends (windows start when configured). */
  stall?: { everyMs: number; forMs: number };
  /** Limit of concurrent read-only non-long-running requests (0/unset: none); over it → 429 text, Retry-After: 1. */
  maxInflight?: number;
  /** Limit of concurrent mutating requests (0/unset: none). */
  maxMutatingInflight?: number;
  /** Delay added to every watch event's delivery, in ms. */
  watchDelayMs?: number;
}

/** randomNormal returns a standard normal sample (Box-Muller). */
function randomNormal(): number {
  let u = 0;
  while (u === 0) u = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

/** sampleMs draws one latency in ms (never negative) from a distribution. */
export function sampleMs(d: Distribution): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return d.minMs + Math.random() * (d.maxMs - d.minMs);
    case 'normal':
      return Math.max(0, d.meanMs + d.stddevMs * randomNormal());
    case 'lognormal':
      return d.medianMs * Math.exp(d.sigma * randomNormal());
  }
}

function matches(rule: RequestMatch, ctx: GateContext): boolean {
  if (rule.verb && rule.verb !== '*') {
    const v = rule.verb.toLowerCase();
    if (v !== ctx.ri.verb && v !== ctx.labels.verb.toLowerCase()) return false;
  }
  if (rule.resource && rule.resource !== '*') {
    const r = rule.resource;
    const full = ctx.ri.subresource ? `${ctx.ri.resource}/${ctx.ri.subresource}` : ctx.ri.resource;
    if (r !== ctx.ri.resource && r !== full) return false;
  }
  return true;
}

function num(v: unknown, name: string, min: number, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new Error(`${name} must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

/** validateFaults checks a configuration (e.g. from the admin endpoint) and returns it, throwing Error listing every problem. */
export function validateFaults(input: unknown): FaultConfig {
  const problems: string[] = [];
  const c = (input ?? {}) as FaultConfig;
  if (typeof c !== 'object' || Array.isArray(c)) throw new Error('fault configuration must be an object');
  const check = (f: () => void) => {
    try {
      f();
    } catch (e) {
      problems.push((e as Error).message);
    }
  };
  (c.latency ?? []).forEach((r, i) =>
    check(() => {
      const d = r.distribution;
      if (!d) throw new Error(`latency[${i}].distribution is required`);
      if (d.kind === 'fixed') num(d.ms, `latency[${i}].ms`, 0);
      else if (d.kind === 'uniform') {
        num(d.minMs, `latency[${i}].minMs`, 0);
        num(d.maxMs, `latency[${i}].maxMs`, d.minMs);
      } else if (d.kind === 'normal') {
        num(d.meanMs, `latency[${i}].meanMs`, 0);
        num(d.stddevMs, `latency[${i}].stddevMs`, 0);
      } else if (d.kind === 'lognormal') {
        num(d.medianMs, `latency[${i}].medianMs`, 0);
        num(d.sigma, `latency[${i}].sigma`, 0);
      } else throw new Error(`latency[${i}].distribution.kind must be fixed, uniform, normal or lognormal`);
    }),
  );
  (c.errors ?? []).forEach((r, i) =>
    check(() => {
      if (![500, 503, 429].includes(r.code)) throw new Error(`errors[${i}].code must be 500, 503 or 429`);
      num(r.fraction, `errors[${i}].fraction`, 0, 1);
      if (r.retryAfterSeconds !== undefined) num(r.retryAfterSeconds, `errors[${i}].retryAfterSeconds`, 0);
    }),
  );
  if (c.resetFraction !== undefined) check(() => num(c.resetFraction, 'resetFraction', 0, 1));
  if (c.stall !== undefined) {
    check(() => num(c.stall!.everyMs, 'stall.everyMs', 1));
    check(() => num(c.stall!.forMs, 'stall.forMs', 0, c.stall!.everyMs));
  }
  if (c.maxInflight !== undefined) check(() => num(c.maxInflight, 'maxInflight', 0));
  if (c.maxMutatingInflight !== undefined) check(() => num(c.maxMutatingInflight, 'maxMutatingInflight', 0));
  if (c.watchDelayMs !== undefined) check(() => num(c.watchDelayMs, 'watchDelayMs', 0));
  if (problems.length) throw new Error(problems.join('; '));
  return c;
}

const MATCH_RE = /^(?:([a-zA-Z*]+)(?:\/([a-z0-9.*/-]+))?=)?(.+)$/;

/** parseLatencyRule parses `[verb[/resource]=]fixed:MS | uniform:MIN:MAX | normal:MEAN:SD | lognormal:MEDIAN:SIGMA`. */
export function parseLatencyRule(text: string): LatencyRule {
  const m = MATCH_RE.exec(text.trim());
  if (!m) throw new Error(`cannot parse latency rule "${text}"`);
  const [kind, ...rest] = m[3]!.split(':');
  const n = rest.map(Number);
  if (n.some((x) => !Number.isFinite(x))) throw new Error(`latency rule "${text}": parameters must be numbers`);
  let distribution: Distribution;
  if (kind === 'fixed' && n.length === 1) distribution = { kind, ms: n[0]! };
  else if (kind === 'uniform' && n.length === 2) distribution = { kind, minMs: n[0]!, maxMs: n[1]! };
  else if (kind === 'normal' && n.length === 2) distribution = { kind, meanMs: n[0]!, stddevMs: n[1]! };
  else if (kind === 'lognormal' && n.length === 2) distribution = { kind, medianMs: n[0]!, sigma: n[1]! };
  else throw new Error(`latency rule "${text}": expected fixed:MS, uniform:MIN:MAX, normal:MEAN:SD or lognormal:MEDIAN:SIGMA`);
  const rule: LatencyRule = { distribution };
  if (m[1]) rule.verb = m[1];
  if (m[2]) rule.resource = m[2];
  validateFaults({ latency: [rule] });
  return rule;
}

/** parseErrorRule parses `[verb[/resource]=]CODE:FRACTION[:RETRY_AFTER_S]`, e.g. `create/pods=429:0.1:2`. */
export function parseErrorRule(text: string): ErrorRule {
  const m = MATCH_RE.exec(text.trim());
  if (!m) throw new Error(`cannot parse error rule "${text}"`);
  const parts = m[3]!.split(':').map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !Number.isFinite(x))) throw new Error(`error rule "${text}": expected CODE:FRACTION[:RETRY_AFTER_S]`);
  const rule: ErrorRule = { code: parts[0] as ErrorRule['code'], fraction: parts[1]! };
  if (parts[2] !== undefined) rule.retryAfterSeconds = parts[2];
  if (m[1]) rule.verb = m[1];
  if (m[2]) rule.resource = m[2];
  validateFaults({ errors: [rule] });
  return rule;
}

function injected(rule: ErrorRule): StatusError {
  const retry = rule.retryAfterSeconds ?? 1;
  switch (rule.code) {
    case 429:
      return new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later. (injected by racerig mock)', { retryAfterSeconds: retry }, { 'Retry-After': String(retry) });
    case 503:
      return new StatusError(503, 'ServiceUnavailable', 'The server is currently unable to handle the request (injected by racerig mock)', { retryAfterSeconds: retry }, { 'Retry-After': String(retry) });
    default:
      return new StatusError(500, 'InternalError', 'Internal error occurred: injected by racerig mock');
  }
}

/** Faults holds the live configuration and provides the request gate that applies it. */
export class Faults {
  private config: FaultConfig = {};
  private stallOrigin = Date.now();
  private readOnlyInflight = 0;
  private mutatingInflight = 0;

  constructor(config: FaultConfig = {}) {
    this.set(config);
  }

  /** get returns the current configuration. */
  get(): FaultConfig {
    return this.config;
  }

  /** Whether any request-path fault is configured (watch delay alone does not need the gate). */
  active = false;

  /** set validates and replaces the configuration; stall windows restart now. */
  set(config: FaultConfig): void {
    const c = validateFaults(config);
    this.config = c;
    this.stallOrigin = Date.now();
    this.active = !!(c.latency?.length || c.errors?.length || c.resetFraction || c.stall || c.maxInflight || c.maxMutatingInflight);
  }

  /** watchDelayMs is the current watch delivery delay. */
  watchDelayMs(): number {
    return this.config.watchDelayMs ?? 0;
  }

  private stallRemainingMs(now: number): number {
    const s = this.config.stall;
    if (!s || s.forMs <= 0) return 0;
    const into = (now - this.stallOrigin) % s.everyMs;
    return into < s.forMs ? s.forMs - into : 0;
  }

  /** gate is the RequestGate applying stalls, max-inflight, resets, injected errors and latency, in that order. */
  readonly gate: RequestGate = (req: IncomingMessage, res: ServerResponse, ctx: GateContext, next: () => void) => {
    const c = this.config;
    const stall = this.stallRemainingMs(Date.now());
    if (stall > 0) {
      setTimeout(() => this.gate(req, res, ctx, next), stall);
      return;
    }
    if (!ctx.longRunning && (c.maxInflight || c.maxMutatingInflight)) {
      const readOnly = ctx.ri.verb === 'get' || ctx.ri.verb === 'list';
      const limit = readOnly ? c.maxInflight : c.maxMutatingInflight;
      const current = readOnly ? this.readOnlyInflight : this.mutatingInflight;
      if (limit && current >= limit) {
        sendText(res, 429, 'Too many requests, please try again later.\n', { 'Retry-After': '1' });
        return;
      }
      if (readOnly) this.readOnlyInflight++;
      else this.mutatingInflight++;
      res.once('close', () => {
        if (readOnly) this.readOnlyInflight--;
        else this.mutatingInflight--;
      });
    }
    this.finish(ctx, req.socket, (err) => sendStatus(res, err), next);
  };

  /** upgradeGate applies stalls, resets, injected errors and latency to an upgrade request (exec); max-inflight exempts it as long-running; `answer` writes an injected error (default: writeRawStatus). */
  upgradeGate(req: IncomingMessage, socket: Duplex, ctx: GateContext, next: () => void, answer: (err: StatusError) => void = (err) => writeRawStatus(socket, err)): void {
    const stall = this.stallRemainingMs(Date.now());
    if (stall > 0) {
      setTimeout(() => this.upgradeGate(req, socket, ctx, next, answer), stall);
      return;
    }
    this.finish(ctx, socket, answer, next);
  }

  /** finish draws a reset, an injected error and a latency for the request, then resets, answers or proceeds. */
  private finish(ctx: GateContext, socket: Duplex, answer: (err: StatusError) => void, next: () => void): void {
    const c = this.config;
    if (c.resetFraction && Math.random() < c.resetFraction) {
      const sock = socket as Duplex & { resetAndDestroy?: () => void };
      if (sock.resetAndDestroy) sock.resetAndDestroy();
      else sock.destroy();
      return;
    }
    let fail: ErrorRule | undefined;
    for (const r of c.errors ?? []) {
      if (matches(r, ctx) && Math.random() < r.fraction) {
        fail = r;
        break;
      }
    }
    const rule = c.latency?.find((r) => matches(r, ctx));
    const proceed = fail ? () => answer(injected(fail!)) : next;
    const ms = rule ? sampleMs(rule.distribution) : 0;
    if (ms <= 0) proceed();
    else setTimeout(proceed, ms);
  };
}
