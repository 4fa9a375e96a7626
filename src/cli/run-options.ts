/**
 * Parsing and validation of `racerig run <url>` options into an engine configuration. Every
 * problem is reported at once (a UsageError listing them), before any worker starts.
 */
import { readFileSync } from 'node:fs';
import type { HttpClientKind } from '../engine/worker-task.js';
import { resolve } from 'node:path';
import os from 'node:os';
import { UsageError } from '../errors.js';
import { parseDurationMs } from '../engine/duration.js';
import type { LoadModel } from '../engine/load-model.js';
import { isLoopbackHost } from '../http/loopback.js';
import { outputPathProblem } from '../results/output-path.js';
import { parseShardFlags, type ShardFlags, type ShardPlan } from '../distributed/shard-options.js';
import { shardShare } from '../engine/shard-pacer.js';
import { splitCommandLine } from '../sut/command-line.js';
import { parseReadyFlag } from '../sut/ready-flag.js';
import type { ReadySpec } from '../sut/sut-process.js';

/** RawRunOptions are the commander option values of `run`. */
export interface RawRunOptions extends ShardFlags {
  rate?: string;
  ramp?: string;
  connections?: string;
  workers?: string;
  duration?: string;
  requests?: string;
  method?: string;
  header?: string[];
  body?: string;
  pipelining?: string;
  httpClient?: string;
  maxInFlight?: string;
  maxLag?: string;
  gather?: string;
  timeout?: string;
  label?: string[];
  name?: string;
  out?: string;
  hgrm?: string;
  log?: string;
  logSample?: string;
  quiet?: boolean;
  insecure?: boolean;
  allowRemote?: boolean;
  // Profile runs only:
  smoke?: boolean;
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  keep?: boolean;
  inCluster?: boolean;
  integrity?: boolean;
  sut?: string;
  sutReady?: string;
  /** A shard of a distributed profile run: the coordinator's run id (labels, `{{run.id}}`). */
  runId?: string;
  /** A shard of a distributed profile run: the environment variable holding the profile bundle. */
  bundle?: string;
}

/** PROFILE_ONLY_FLAGS may not be combined with a URL. */
const PROFILE_ONLY_FLAGS = ['smoke', 'kubeconfig', 'context', 'cluster', 'keep', 'inCluster', 'integrity', 'sut', 'sutReady', 'runId', 'bundle'] as const;
/** URL_ONLY_FLAGS may not be combined with a profile (the profile says what to send and how fast). */
const URL_ONLY_FLAGS = ['rate', 'ramp', 'duration', 'requests', 'method', 'header', 'body', 'pipelining', 'httpClient', 'maxInFlight', 'insecure', 'name', 'hgrm'] as const;
/** flagName turns a commander option key into its flag (`maxInFlight` → `--max-in-flight`). */
const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * ProfilePlan is the validated plan of a `run <profile>` (with `--shard`: of one shard's share, see
 * src/distributed/profile-shard.ts), passed down unchanged to the run and its workers. Durations in ms.
 */
export interface ProfilePlan extends ShardPlan {
  file: string;
  smoke: boolean;
  workers: number;
  /** Connections per worker for ordinary requests. */
  connections: number;
  timeoutMs: number;
  maxLagMs: number;
  gatherMs: number;
  labels: Record<string, string>;
  out?: string;
  quiet: boolean;
  keep: boolean;
  kubeconfig?: string;
  context?: string;
  /** `--cluster`: target this kind cluster (its kubeconfig from kind, in a temporary file for the run). */
  cluster?: string;
  /** Target the cluster this process runs in (service account). */
  inCluster?: boolean;
  /** Check counts against a racerig mock reached through a kubeconfig (the embedded mock is always checked). */
  integrity?: boolean;
  allowRemote: boolean;
  log?: { path: string; sample: number };
  /** `--sut`: the system under test's command (replaces the profile's `sut.command`). */
  sut?: string[];
  /** `--sut-ready`: when the SUT is ready (replaces the profile's `sut.ready`). */
  sutReady?: ReadySpec;
  /** `--run-id`: the run id to use instead of a new one (a shard takes its coordinator's). */
  runId?: string;
}

/** RUN_ID_PATTERN is what `--run-id` accepts: a label value that also fits in object names. */
const RUN_ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * RunPlan is the validated plan of a `run <url>` (of one shard's share with --shard), plain data: it is
 * passed unchanged to every worker (WorkerTask.plan). Durations in ms (Infinity: unbounded).
 */
export interface RunPlan extends ShardPlan {
  /** The target URL (href). */
  url: string;
  /** The target's host name (as URL.hostname gives it: an IPv6 literal keeps its brackets) and host (with the port). */
  hostname: string;
  host: string;
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  body?: Uint8Array;
  model: LoadModel;
  connections: number;
  workers: number;
  durationMs: number;
  maxRequests: number;
  pipelining: number;
  httpClient: HttpClientKind;
  maxInFlight: number;
  maxLagMs: number;
  gatherMs: number;
  timeoutMs: number;
  labels: Record<string, string>;
  name: string;
  out?: string;
  hgrm?: string;
  log?: string;
  logSample: number;
  quiet: boolean;
  insecure: boolean;
  allowRemote: boolean;
}

/** MIN_TIMEOUT_MS is the shortest --timeout racerig enforces: timeouts are checked every tenth of it, at least every 10 ms. */
export const MIN_TIMEOUT_MS = 10;

/** maxWorkers is the most worker threads a run may start: 4 per available core (more only compete for the same cores and memory). */
export function maxWorkers(): number {
  return os.availableParallelism() * 4;
}

/** workersProblem says why a --workers count is refused (above maxWorkers), or undefined. */
export function workersProblem(workers: number): string | undefined {
  const cap = maxWorkers();
  return workers > cap ? `--workers must be at most ${cap} (4 per available core, ${os.availableParallelism()} here), got ${workers}` : undefined;
}

/** timeoutProblem says why a --timeout (ms) is refused (below MIN_TIMEOUT_MS), or undefined. */
export function timeoutProblem(ms: number): string | undefined {
  return ms < MIN_TIMEOUT_MS ? `--timeout must be at least ${MIN_TIMEOUT_MS}ms (timeouts are checked every 10 ms at the finest), got ${ms}ms` : undefined;
}

/** DEFAULTS of `run` (documented in the README). */
export const RUN_DEFAULTS = { connections: 50, durationMs: 10_000, timeoutMs: 10_000, maxLagMs: 10_000, gatherMs: 0.5, pipelining: 1 };

/** PROFILE_DEFAULTS are the defaults of `run <profile>` where they differ from a URL run's: connections per worker for ordinary requests, per-request timeout (ms). */
export const PROFILE_DEFAULTS = { connectionsPerWorker: 16, timeoutMs: 30_000 };

/** parseGather reads `--gather`: a duration from 0 to 1ms (0 turns gathering off); adds a problem otherwise. */
export function parseGather(v: string | undefined, problems: string[]): number {
  if (v === undefined) return RUN_DEFAULTS.gatherMs;
  const ms = v.trim() === '0' ? 0 : parseDurationMs(v);
  if (!Number.isFinite(ms) || ms < 0 || ms > 1) {
    problems.push(`--gather must be a duration from 0 to 1ms such as 250us (0: off), got "${v}"`);
    return RUN_DEFAULTS.gatherMs;
  }
  return ms;
}

/** parseLabels turns `--label key=value` flags into labels, adding a problem for each malformed one. */
export function parseLabels(flags: readonly string[] | undefined, problems: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of flags ?? []) {
    const i = l.indexOf('=');
    if (i <= 0) problems.push(`--label must be key=value, got "${l}"`);
    else labels[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return labels;
}

/** flagParsers returns number and duration readers that add a problem for each invalid value (undefined then). */
function flagParsers(problems: string[]) {
  const int = (flag: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      problems.push(`${flag} must be an integer ≥ ${min}, got "${v}"`);
      return undefined;
    }
    return n;
  };
  const num = (flag: string, v: string | undefined, min: number, max: number, what = `a number in [${min}, ${max}]`): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${flag} must be ${what}, got "${v}"`);
      return undefined;
    }
    return n;
  };
  const dur = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const ms = parseDurationMs(v);
    if (!Number.isFinite(ms) || ms <= 0) {
      problems.push(`${flag} must be a positive duration such as 500ms, 10s, 2m or 1h, got "${v}"`);
      return undefined;
    }
    return ms;
  };
  return { int, num, dur };
}

/** usageError lists every problem at once. */
function usageError(problems: string[], hint: string): UsageError {
  return new UsageError(problems.length === 1 ? problems[0]! : `invalid options:\n  - ${problems.join('\n  - ')}`, hint);
}

/** parseRunOptions validates a target URL and options; throws a UsageError listing every problem. */
export function parseRunOptions(target: string, o: RawRunOptions, cwd: string): RunPlan {
  const problems: string[] = [];
  const { int, num, dur } = flagParsers(problems);
  for (const f of PROFILE_ONLY_FLAGS) if (o[f] !== undefined) problems.push(`${flagName(f)} applies to profile runs, not to a URL`);

  let url: URL | undefined;
  try {
    url = new URL(target);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      problems.push(`target URL must use http or https, got "${url.protocol}" in "${target}"`);
    } else if (!o.allowRemote && !isLoopbackHost(url.hostname)) {
      problems.push(
        `target host "${url.hostname}" is not a loopback address; racerig only sends load elsewhere with --allow-remote`,
      );
    }
  } catch {
    problems.push(`target "${target}" is not a valid URL (expected e.g. http://127.0.0.1:8080/path)`);
  }

  const rate = num('--rate', o.rate, Number.MIN_VALUE, Infinity, 'a positive number');
  let ramp: [number, number] | undefined;
  if (o.ramp !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(o.ramp);
    if (!m || (Number(m[1]) === 0 && Number(m[2]) === 0)) problems.push(`--ramp must be <from>:<to> requests/s, e.g. 100:5000, got "${o.ramp}"`);
    else ramp = [Number(m[1]), Number(m[2])];
  }
  if (o.rate !== undefined && o.ramp !== undefined) problems.push('--rate and --ramp cannot be used together');
  const connections = int('--connections', o.connections, 1) ?? RUN_DEFAULTS.connections;
  const workers = int('--workers', o.workers, 1) ?? os.availableParallelism();
  const tooMany = workersProblem(workers);
  if (tooMany) problems.push(tooMany);
  const durationGiven = dur('--duration', o.duration);
  const maxRequests = int('--requests', o.requests, 1) ?? Infinity;
  if (o.ramp !== undefined && o.duration === undefined) problems.push('--ramp needs --duration (the ramp spans the whole duration)');
  const durationMs = durationGiven ?? (o.requests !== undefined ? Infinity : RUN_DEFAULTS.durationMs);
  const pipelining = int('--pipelining', o.pipelining, 1) ?? RUN_DEFAULTS.pipelining;
  const httpClient = (o.httpClient ?? 'fast') as HttpClientKind;
  if (httpClient !== 'fast' && httpClient !== 'undici') problems.push(`--http-client must be fast or undici, got "${o.httpClient}"`);
  const maxInFlight = int('--max-in-flight', o.maxInFlight, 1) ?? 0;
  const maxLagMs = dur('--max-lag', o.maxLag) ?? RUN_DEFAULTS.maxLagMs;
  const gatherMs = parseGather(o.gather, problems);
  const timeoutMs = dur('--timeout', o.timeout) ?? RUN_DEFAULTS.timeoutMs;
  const shortTimeout = timeoutProblem(timeoutMs);
  if (shortTimeout) problems.push(shortTimeout);
  const logSample = num('--log-sample', o.logSample, 0, 1) ?? 1;
  const method = (o.method ?? 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) problems.push(`--method must be an HTTP method such as GET or POST, got "${o.method}"`);
  else if (method === 'CONNECT') problems.push('--method CONNECT opens a tunnel, which racerig does not send');
  for (const [flag, path] of [['-o, --out', o.out], ['--hgrm', o.hgrm], ['--log', o.log]] as const) {
    if (path === undefined) continue;
    const problem = outputPathProblem(flag, resolve(cwd, path));
    if (problem) problems.push(problem);
  }

  const headers: Record<string, string | string[]> = {};
  for (const h of o.header ?? []) {
    const i = h.indexOf(':');
    const k = i > 0 ? h.slice(0, i).trim().toLowerCase() : '';
    if (!k || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(k)) {
      problems.push(`--header must be "Name: value", got "${h}"`);
      continue;
    }
    const v = h.slice(i + 1).trim();
    if (/[\0-\x08\x0a-\x1f\x7f]/.test(v)) {
      problems.push(`--header ${k}: the value holds a control character (CR, LF, NUL …), which HTTP does not allow: ${JSON.stringify(h)}`);
      continue;
    }
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const labels = parseLabels(o.label, problems);
  const sharding = parseShardFlags(o, Date.now(), problems);
  if (sharding.shard && connections < sharding.shard.count) problems.push(`--connections (${connections}) must be at least the number of shards (${sharding.shard.count}): they are split`);
  if (sharding.shard && maxRequests < sharding.shard.count) problems.push(`--requests (${maxRequests}) must be at least the number of shards (${sharding.shard.count}): they are split`);
  let body: Uint8Array | undefined;
  if (o.body !== undefined) {
    if (o.body.startsWith('@')) {
      const file = resolve(cwd, o.body.slice(1));
      try {
        body = readFileSync(file);
      } catch (err) {
        problems.push(`--body ${o.body}: cannot read ${file}: ${(err as Error).message}`);
      }
    } else {
      body = Buffer.from(o.body);
    }
  }

  if (problems.length > 0 || !url) throw usageError(problems, 'see racerig run --help');

  let model: LoadModel = { kind: 'closed' };
  if (rate !== undefined) model = { kind: 'constant', rate, durationMs };
  if (ramp) model = { kind: 'linear', from: ramp[0], to: ramp[1], durationMs };
  // A shard takes its share of the arrivals (k mod N), of the connections, of --requests and --max-in-flight.
  const shard = sharding.shard;
  if (shard && model.kind !== 'closed') model = { ...model, shard };
  const share = (n: number) => (shard ? Math.max(1, shardShare(n, shard)) : n);

  return {
    url: url.href,
    hostname: url.hostname,
    host: url.host,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    method,
    headers,
    ...(body ? { body } : {}),
    model,
    connections: share(connections),
    workers: Math.min(workers, share(connections)),
    durationMs,
    maxRequests: shard ? shardShare(maxRequests, shard) : maxRequests,
    pipelining,
    httpClient,
    maxInFlight: maxInFlight ? share(maxInFlight) : 0,
    maxLagMs,
    gatherMs,
    timeoutMs,
    labels,
    name: o.name ?? url.host,
    ...(o.out ? { out: resolve(cwd, o.out) } : {}),
    ...(o.hgrm ? { hgrm: resolve(cwd, o.hgrm) } : {}),
    ...(o.log ? { log: resolve(cwd, o.log) } : {}),
    logSample,
    ...sharding,
    // NDJSON progress owns stdout: no live view, no summary.
    quiet: o.quiet === true || sharding.progress === 'ndjson',
    insecure: o.insecure === true,
    allowRemote: o.allowRemote === true,
  };
}

/** parseProfileOptions validates the options of a profile run, then resolves its file with `resolveFile`; throws a UsageError listing every flag problem. */
export function parseProfileOptions(target: string, o: RawRunOptions, cwd: string, resolveFile: (target: string, cwd: string) => string): ProfilePlan {
  const problems: string[] = [];
  const { int, num, dur } = flagParsers(problems);
  const misplaced = URL_ONLY_FLAGS.filter((f) => o[f] !== undefined);
  if (misplaced.length) {
    const names = misplaced.map(flagName).join(', ');
    problems.push(`${names} ${misplaced.length === 1 ? 'applies' : 'apply'} to URL runs only; a profile sets its own load and phase durations (\`racerig run <profile> --smoke\` shortens every phase)`);
  }
  if (o.cluster !== undefined) {
    const others = (['kubeconfig', 'context', 'inCluster'] as const).filter((f) => o[f] !== undefined);
    if (others.length) problems.push(`--cluster picks the target itself; it cannot be combined with ${others.map(flagName).join(', ')}`);
  }
  const labels = parseLabels(o.label, problems);
  let sut: string[] | undefined;
  let sutReady: ReadySpec | undefined;
  if (o.sut !== undefined) {
    try {
      sut = splitCommandLine(o.sut, '--sut');
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (o.sutReady !== undefined) {
    try {
      sutReady = parseReadyFlag(o.sutReady, parseDurationMs);
    } catch (err) {
      problems.push(`--sut-ready: not a URL, a duration or a regular expression: ${(err as Error).message}`);
    }
  }
  const gatherMs = parseGather(o.gather, problems);
  const workers = int('--workers', o.workers, 1) ?? os.availableParallelism();
  const tooMany = workersProblem(workers);
  if (tooMany) problems.push(tooMany);
  const connections = int('--connections', o.connections, 1) ?? PROFILE_DEFAULTS.connectionsPerWorker;
  const timeoutMs = dur('--timeout', o.timeout) ?? PROFILE_DEFAULTS.timeoutMs;
  const shortTimeout = timeoutProblem(timeoutMs);
  if (shortTimeout) problems.push(shortTimeout);
  const maxLagMs = dur('--max-lag', o.maxLag) ?? RUN_DEFAULTS.maxLagMs;
  const logSample = num('--log-sample', o.logSample, 0, 1) ?? 1;
  const sharding = parseShardFlags(o, Date.now(), problems);
  if (sharding.shard && sharding.shard.count > 1) {
    // Another shard's requests reach the same server, and one SUT beside every shard would be N of them.
    for (const f of ['integrity', 'sut', 'sutReady', 'cluster'] as const) if (o[f] !== undefined) problems.push(`${flagName(f)} cannot be combined with --shard (a shard runs its share of a distributed run)`);
  }
  if (o.runId !== undefined && !RUN_ID_PATTERN.test(o.runId)) problems.push(`--run-id must be 1 to 32 lower-case letters, digits or '-' (a label value), got "${o.runId}"`);
  for (const [flag, path] of [['-o, --out', o.out], ['--log', o.log]] as const) {
    const problem = path === undefined ? undefined : outputPathProblem(flag, resolve(cwd, path));
    if (problem) problems.push(problem);
  }
  if (problems.length) throw usageError(problems, 'see racerig run --help');
  return {
    file: resolveFile(target, cwd),
    smoke: o.smoke === true,
    workers,
    connections,
    timeoutMs,
    maxLagMs,
    gatherMs,
    labels,
    ...(o.out ? { out: resolve(cwd, o.out) } : {}),
    ...sharding,
    ...(o.runId !== undefined ? { runId: o.runId } : {}),
    // NDJSON progress owns stdout: no live view, no summary.
    quiet: o.quiet === true || sharding.progress === 'ndjson',
    keep: o.keep === true,
    ...(o.kubeconfig ? { kubeconfig: resolve(cwd, o.kubeconfig) } : {}),
    ...(o.context ? { context: o.context } : {}),
    ...(o.cluster !== undefined ? { cluster: o.cluster } : {}),
    ...(o.inCluster ? { inCluster: true } : {}),
    ...(o.integrity ? { integrity: true } : {}),
    allowRemote: o.allowRemote === true,
    ...(sut ? { sut } : {}),
    ...(sutReady ? { sutReady } : {}),
    ...(o.log ? { log: { path: resolve(cwd, o.log), sample: logSample } } : {}),
  };
}
