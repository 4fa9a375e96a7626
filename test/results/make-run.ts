/**
 * Builds realistic result files for tests: per-request latencies drawn from a seeded log-normal
 * distribution, recorded into real HdrHistograms (as the engine does), with run-to-run noise.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as hdr from 'hdr-histogram-js';
import { newHistogram, summarize } from '../../src/metrics/histogram.js';
import { RESULT_SCHEMA, type Finding, type OperationResult, type RunResult, type TimeSeriesPoint } from '../../src/results/model.js';

/** RunSpec describes a synthetic run; latencies in microseconds. */
export interface RunSpec {
  /** Seed of the random numbers (one per run). */
  seed: number;
  labels?: Record<string, string>;
  /** Median request latency before noise, µs (default 2000). */
  medianUs?: number;
  /** Latency added to every request (the injected regression), µs. */
  extraUs?: number;
  /** Requests per operation (default 2000). */
  requests?: number;
  /** Share of failing requests, 0..1 (default 0.002). */
  errorRate?: number;
  findings?: Finding[];
  profileSha?: string;
  /** A `racerig run <url>` run: no profile, named after the target host. */
  noProfile?: boolean;
  /** Target URL (default http://127.0.0.1:40123). */
  url?: string;
  /** Effective options stored in the result (default concurrency 8, rate 600/s, 10 s). */
  config?: Record<string, unknown>;
  profileName?: string;
  startedAt?: string;
  partial?: boolean;
  /** Median pod startup lifecycle latency, µs; no lifecycles when absent. */
  podStartupUs?: number;
  /** Operations measured (default OPERATIONS). */
  operations?: string[];
  /** Keep every sample so tests can rebuild histograms (µs), per operation. */
  samples?: Map<string, number[]>;
}

/** OPERATIONS are the operations every synthetic run measures. */
export const OPERATIONS = ['GET /api/v1/namespaces/{ns}/pods', 'POST /api/v1/namespaces/{ns}/pods', 'exec pods/exec'];

/** mulberry32 returns a seeded uniform random generator in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** makeRun builds one result with real compressed HdrHistograms. */
export function makeRun(spec: RunSpec): RunResult {
  const rand = mulberry32(spec.seed);
  const requests = spec.requests ?? 2000;
  const durationSeconds = 10;
  const runNoise = 1 + 0.03 * gaussian(rand);
  const operations: OperationResult[] = [];
  const all: hdr.Histogram[] = [];
  const timeSeries: TimeSeriesPoint[] = Array.from({ length: durationSeconds }, (_, i) => ({
    t: i + 1, requests: 0, errors: 0, dropped: 0, p50: 0, p99: 0, inFlight: 0,
  }));
  const perSecond = timeSeries.map(() => newHistogram());
  (spec.operations ?? OPERATIONS).forEach((name, opIndex) => {
    const corrected = newHistogram();
    const uncorrected = newHistogram();
    const scale = (spec.medianUs ?? 2000) * (1 + opIndex * 0.5) * runNoise;
    let errors = 0;
    const status: Record<string, number> = {};
    const kept: number[] = [];
    for (let i = 0; i < requests; i++) {
      const us = Math.max(1, Math.round(scale * Math.exp(0.35 * gaussian(rand)) + (spec.extraUs ?? 0)));
      const queued = rand() < 0.02 ? Math.round(rand() * 5000) : 0; // occasional coordinated-omission delay
      corrected.recordValue(us + queued);
      uncorrected.recordValue(us);
      kept.push(us + queued);
      const second = Math.floor((i / requests) * durationSeconds);
      perSecond[second]!.recordValue(us + queued);
      timeSeries[second]!.requests++;
      const failed = rand() < (spec.errorRate ?? 0.002);
      if (failed) {
        errors++;
        timeSeries[second]!.errors++;
      }
      const code = name.startsWith('exec') ? (failed ? '500' : '101') : name.startsWith('POST') ? (failed ? '409' : '201') : failed ? '503' : '200';
      status[code] = (status[code] ?? 0) + 1;
    }
    spec.samples?.set(name, kept);
    all.push(corrected);
    operations.push({
      name,
      requests,
      errors,
      dropped: 0,
      achievedRate: requests / durationSeconds,
      status,
      errorKinds: {},
      bytesIn: requests * 1800,
      bytesOut: name.startsWith('POST') ? requests * 600 : 0,
      latencyUs: summarize(corrected),
      uncorrectedLatencyUs: summarize(uncorrected),
    });
  });
  perSecond.forEach((h, i) => {
    timeSeries[i]!.p50 = h.getValueAtPercentile(50);
    timeSeries[i]!.p99 = h.getValueAtPercentile(99);
    timeSeries[i]!.inFlight = 8 + (i % 3);
  });
  const totals = operations.reduce(
    (t, o) => ({ requests: t.requests + o.requests, errors: t.errors + o.errors, dropped: t.dropped + o.dropped, achievedRate: 0 }),
    { requests: 0, errors: 0, dropped: 0, achievedRate: 0 },
  );
  totals.achievedRate = totals.requests / durationSeconds;
  const lifecycles = spec.podStartupUs === undefined ? undefined : [{ name: 'pod startup', latencyUs: (() => {
    const h = newHistogram();
    for (let i = 0; i < 200; i++) h.recordValue(Math.round(spec.podStartupUs! * runNoise * Math.exp(0.2 * gaussian(rand))));
    return summarize(h);
  })() }];
  const startedAt = spec.startedAt ?? new Date(Date.UTC(2026, 10, 26, 6, 0, spec.seed % 60)).toISOString();
  return {
    schema: RESULT_SCHEMA,
    name: spec.noProfile ? new URL(spec.url ?? 'http://127.0.0.1:40123').host : spec.profileName ?? 'pod-churn',
    partial: spec.partial ?? false,
    labels: spec.labels ?? {},
    startedAt,
    endedAt: new Date(Date.parse(startedAt) + durationSeconds * 1000).toISOString(),
    durationSeconds,
    target: { url: spec.url ?? 'http://127.0.0.1:40123', kind: 'mock', serverVersion: 'v1.31.0-racerig-mock' },
    config: spec.config ?? { concurrency: 8, rate: 600, duration: '10s', url: spec.url ?? 'http://127.0.0.1:40123' },
    environment: { racerigVersion: '0.1.0', node: 'v20.18.1', platform: 'linux-x64', cpus: 8 },
    ...(spec.noProfile ? {} : { profile: { name: spec.profileName ?? 'pod-churn', sha256: spec.profileSha ?? 'a'.repeat(64) } }),
    totals,
    operations,
    timeSeries,
    thresholds: [{ expression: 'p99 < 50ms', passed: true, actual: operations[0]!.latencyUs.p99 }],
    findings: spec.findings ?? [],
    ...(lifecycles ? { lifecycles } : {}),
  };
}

/** writeRuns writes one result file per spec into `dir` (created) and returns their paths. */
export async function writeRuns(dir: string, prefix: string, specs: readonly RunSpec[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, spec] of specs.entries()) {
    const file = join(dir, `${prefix}-${i + 1}.json`);
    await writeFile(file, JSON.stringify(makeRun(spec), null, 2));
    files.push(file);
  }
  return files;
}
