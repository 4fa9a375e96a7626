/**
 * The common shape every load generator's run is parsed into, and the interface of a tool runner.
 */
import type { CpuWindow, MeasuredRun, RssSample, WindowMeasure } from '../measure/run-measured.js';

/** ToolResult is one run of one load generator; latencies in milliseconds, null when the tool does not report it. */
export interface ToolResult {
  /** Tool and variant, e.g. "racerig -w 2", "autocannon -w 2", "wrk -t 2". */
  tool: string;
  requestsPerSec: number;
  /** Completed requests (responses and transport errors). */
  requests: number;
  /** Transport errors plus non-2xx responses. */
  errors: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
  /** CPU seconds (user + system) the tool's process used. */
  cpuSeconds: number;
  /** Peak resident set size of the tool's process, MiB. */
  rssMb: number;
  /** The exact command line that produced this result. */
  command: string;
  /** Extra measurements some tools provide (racerig: uncorrected percentiles, dropped, start lateness). */
  extra?: {
    uncorrected?: { p50Ms: number; p90Ms: number; p99Ms: number; p999Ms: number; maxMs: number };
    dropped?: number;
    /** Responses by HTTP status code. */
    status?: Record<string, number>;
    /** p99 of how late requests started relative to their intended time, ms (when the result file has it). */
    startLatenessP99Ms?: number;
  };
  rssSamples?: RssSample[];
  /** CPU and served requests over the spec's `window` (when asked, and the run lasted through it). */
  window?: WindowMeasure;
}

/** ParsedRun is what a tool's own output reports; the rest of a ToolResult is measured around its process. */
export type ParsedRun = Omit<ToolResult, 'tool' | 'cpuSeconds' | 'rssMb' | 'command' | 'rssSamples' | 'window'>;

/** measuredResult combines a tool's parsed output with the measured cost of its process. */
export function measuredResult(tool: string, spec: LoadSpec, run: MeasuredRun, parsed: ParsedRun, command: string): ToolResult {
  return {
    tool,
    ...parsed,
    cpuSeconds: run.cpuSeconds,
    rssMb: run.peakRssMb,
    command,
    rssSamples: spec.keepRssSamples ? run.rssSamples : undefined,
    window: run.window,
  };
}

/** LoadSpec is what to run: the same spec is given to every tool in a comparison. */
export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  /** Worker threads (tools that have them). */
  workers?: number;
  /** Open-model arrival rate in requests per second; closed model when absent. */
  rate?: number;
  /** Open-model arrival rate ramped linearly from [0] to [1] requests/s over the duration (racerig only). */
  ramp?: [number, number];
  /** HTTP method (default GET), request body and headers (racerig only). */
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** Return the resident-memory samples taken during the run (the memory scenario needs them). */
  keepRssSamples?: boolean;
  /** Also measure CPU and the target's served requests over this part of the run (the CPU scenario's steady state). */
  window?: CpuWindow;
}

/** Tool runs one load generator; `available` says whether it is installed. */
export interface Tool {
  name: string;
  available(): boolean;
  /** The variant label for a spec, e.g. "autocannon -w 2". */
  label(spec: LoadSpec): string;
  /** Whether this tool can run the spec (e.g. wrk 4 has no rate limit). */
  supports(spec: LoadSpec): boolean;
  run(spec: LoadSpec): Promise<ToolResult>;
}

/** isPlainGet tells whether a spec is a bodiless GET without headers or ramp (all the peers' runners implement). */
export function isPlainGet(spec: LoadSpec): boolean {
  return (spec.method ?? 'GET') === 'GET' && spec.body === undefined && spec.headers === undefined && spec.ramp === undefined;
}

/** quote renders one command-line word for the report (POSIX shell quoting). */
export function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** commandLine renders a command for the report. */
export function commandLine(command: string, args: string[]): string {
  return [command, ...args].map(quote).join(' ');
}

/** checkExit throws with the tool's output when it failed, so a broken run never becomes a number. */
export function checkExit(tool: string, run: MeasuredRun): void {
  if (run.timedOut) throw new Error(`${tool} timed out after ${run.wallSeconds.toFixed(1)} s\n${run.stderr.slice(-2000)}`);
  if (run.exitCode !== 0) {
    throw new Error(`${tool} exited with ${run.exitCode ?? run.signal}\n${(run.stderr || run.stdout).slice(-2000)}`);
  }
}

/** timeoutFor gives a run of `durationSec` a generous bound: start-up, drain and stall margins. */
export function timeoutFor(durationSec: number): number {
  return (durationSec * 2 + 20) * 1000;
}
