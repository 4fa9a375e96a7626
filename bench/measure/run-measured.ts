/**
 * Runs one load-generator process to completion and measures what it cost: CPU seconds (user +
 * system) and peak resident memory, from GNU `/usr/bin/time` when installed (exact, taken at exit),
 * else from sampling /proc/<pid>/stat and /proc/<pid>/status. Resident memory is also sampled over
 * time for the long-run memory scenario. Every run is bounded by a timeout that kills the process group.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** RssSample is the resident set size of the measured process at `seconds` after it started. */
export interface RssSample {
  seconds: number;
  rssMb: number;
}

/**
 * CpuWindow asks for the CPU a process used between two moments of its run (seconds after it was
 * started), and for how many requests the target served meanwhile (`served` reads the target's counter).
 */
export interface CpuWindow {
  fromSec: number;
  toSec: number;
  served(): Promise<number>;
}

/** WindowMeasure is what a CpuWindow measured: CPU seconds of the process and requests the target served, over `seconds`. */
export interface WindowMeasure {
  seconds: number;
  cpuSeconds: number;
  served: number;
}

/** MeasuredRun is the outcome and cost of one process run. */
export interface MeasuredRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  /** User + system CPU seconds of the process (and children it waited for). */
  cpuSeconds: number;
  /** Peak resident set size in MiB. */
  peakRssMb: number;
  /** Resident set size over time (every `sampleEveryMs`). */
  rssSamples: RssSample[];
  /** "time" when /usr/bin/time measured the totals, "proc" when /proc sampling did. */
  measuredBy: 'time' | 'proc';
  /** The CpuWindow's measure; undefined when none was asked or the process ended before the window did. */
  window?: WindowMeasure;
}

/** MeasureOptions configures `runMeasured`. */
export interface MeasureOptions {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the process (group) after this many ms. */
  timeoutMs: number;
  /** Sampling interval of /proc in ms (default 250). */
  sampleEveryMs?: number;
  window?: CpuWindow;
}

/** GNU time when it is installed and understands -f/-o (busybox's does not). */
const TIME_BIN = ((): string | undefined => {
  const bin = '/usr/bin/time';
  return spawnSync(bin, ['-f', '%e', '-o', '/dev/null', 'true']).status === 0 ? bin : undefined;
})();
const CLOCK_TICKS = 100; // Linux USER_HZ on every mainstream architecture.

interface ProcSample {
  cpuSeconds: number;
  rssMb: number;
  hwmMb: number;
}

function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 overall)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { cpuSeconds: ticks / CLOCK_TICKS, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined; // exited
  }
}

function childPid(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** runMeasured runs `command args` to completion (or timeout) and measures its CPU and memory. */
export async function runMeasured(options: MeasureOptions): Promise<MeasuredRun> {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-bench-time-'));
  const timeFile = join(dir, 'time.txt');
  const [cmd, args] = TIME_BIN
    ? [TIME_BIN, ['-f', '%e %U %S %M', '-o', timeFile, options.command, ...options.args]]
    : [options.command, options.args];
  const started = performance.now();
  const child = spawn(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so a timeout kills everything it started
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));

  const rssSamples: RssSample[] = [];
  let last: ProcSample | undefined;
  let peakMb = 0;
  const measuredPid = (): number | undefined => (TIME_BIN ? (child.pid !== undefined ? childPid(child.pid) : undefined) : child.pid);
  const sample = (): void => {
    const pid = measuredPid();
    if (pid === undefined) return;
    const s = readProc(pid);
    if (!s) return;
    last = s;
    peakMb = Math.max(peakMb, s.hwmMb, s.rssMb);
    rssSamples.push({ seconds: (performance.now() - started) / 1000, rssMb: s.rssMb });
  };
  const sampler = setInterval(sample, options.sampleEveryMs ?? 250);
  const windowDone = options.window ? measureWindow(options.window, started, measuredPid) : Promise.resolve(undefined);
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, options.timeoutMs);

  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, sig) => resolve([code, sig]));
  });
  clearInterval(sampler);
  clearTimeout(killer);
  const window = await windowDone;
  const wallSeconds = (performance.now() - started) / 1000;

  let cpuSeconds = last?.cpuSeconds ?? 0;
  let measuredBy: MeasuredRun['measuredBy'] = 'proc';
  try {
    const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
    const [, user, sys, maxKb] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
    if (user !== undefined && sys !== undefined && maxKb !== undefined && [user, sys, maxKb].every(Number.isFinite)) {
      cpuSeconds = user + sys;
      peakMb = maxKb / 1024;
      measuredBy = 'time';
    }
  } catch {
    // no /usr/bin/time output: keep the /proc samples
  }
  rmSync(dir, { recursive: true, force: true });
  // GNU time reports the command's status as its own; a signal shows as 128+n.
  return { exitCode, signal, timedOut, stdout, stderr, wallSeconds, cpuSeconds, peakRssMb: peakMb, rssSamples, measuredBy, window };
}

/**
 * measureWindow reads the process's CPU and the target's served count at `fromSec` and `toSec` after
 * `started` (performance.now() ms). CPU is read first, then the counter: the counter's round trip
 * (well under a millisecond on loopback) is the only skew between the two.
 */
async function measureWindow(w: CpuWindow, started: number, pid: () => number | undefined): Promise<WindowMeasure | undefined> {
  const at = async (sec: number): Promise<{ t: number; cpu: number; served: number } | undefined> => {
    const wait = started + sec * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const p = pid();
    const s = p === undefined ? undefined : readProc(p);
    if (!s) return undefined;
    const t = performance.now();
    return { t, cpu: s.cpuSeconds, served: await w.served() };
  };
  try {
    const a = await at(w.fromSec);
    const b = a && (await at(w.toSec));
    if (!a || !b) return undefined;
    return { seconds: (b.t - a.t) / 1000, cpuSeconds: b.cpu - a.cpu, served: b.served - a.served };
  } catch {
    return undefined; // the counter could not be read: no window measure rather than a wrong one
  }
}
