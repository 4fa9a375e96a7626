/**
 * A system under test started beside a run: a local process (execa, its own process group) given the
 * target's kubeconfig. racerig waits until it is ready, keeps its whole output in a log file, passes the
 * output to the log scanners, records every exit during the run as a finding (restarting it when asked),
 * and stops it with SIGTERM, then SIGKILL after the grace. No path leaves it running: a process exit of
 * racerig kills every process group it started.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { SutError } from '../errors.js';
import type { FindingsCollector } from '../observe/findings.js';
import type { SutExit, SutResult as SutSummary } from '../results/model.js';
import { GROUP_CHILD, killGroup, trackGroup, untrackGroup } from '../process/process-groups.js';

/** ReadySpec says when the SUT is ready: a line of its output matches, a URL answers 200, a fixed delay, or at once. */
export type ReadySpec =
  | { kind: 'log'; pattern: RegExp }
  | { kind: 'http'; url: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'none' };

/** OutputSink takes one output stream of one start of the SUT (e.g. a log scanner). */
export interface OutputSink {
  write(chunk: Buffer): void;
  end(): void;
}

/** SutOptions configure a SutProcess. */
export interface SutOptions {
  argv: string[];
  /** Added to racerig's own environment (KUBECONFIG and the profile's `env`). */
  env: Record<string, string>;
  cwd: string;
  ready: ReadySpec;
  readyTimeoutMs: number;
  stopGraceMs: number;
  restart: 'never' | 'on-failure';
  /** The whole output of every start goes here. */
  logPath: string;
  findings: FindingsCollector;
  /** A sink per stream per start (the log scanners). */
  output?: (stream: 'stdout' | 'stderr', start: number) => OutputSink;
  say: (line: string) => void;
}

/** SutExit and SutSummary are the result file's SutExit and SutResult. */
export type { SutExit, SutResult as SutSummary } from '../results/model.js';

/** TAIL_LINES is how many last output lines an exit finding carries. */
export const TAIL_LINES = 40;
const MAX_RESTART_DELAY_MS = 4000;

/** SutProcess runs one system under test; start once, stop once (stop is idempotent). */
export class SutProcess {
  private child: ResultPromise | undefined;
  private childDone: Promise<void> | undefined;
  private log: WriteStream;
  private readonly tail: string[] = [];
  private partial = '';
  private lineListeners: Array<(line: string) => void> = [];
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private startedAtMs = 0;
  private readonly summary: SutSummary;

  constructor(private readonly o: SutOptions) {
    mkdirSync(dirname(o.logPath), { recursive: true });
    this.log = createWriteStream(o.logPath, { flags: 'w' });
    this.log.on('error', (err) => o.say(`racerig: sut: cannot write ${o.logPath}: ${err.message}\n`));
    this.summary = { command: o.argv, logFile: o.logPath, starts: 0, restarts: 0, exits: [] };
  }

  /** start starts the SUT and resolves once it is ready; rejects with a SutError (exit code 6) when it exits first or the timeout passes. */
  async start(): Promise<void> {
    const t0 = Date.now();
    const exitedEarly = this.spawn();
    if (this.child?.pid === undefined) {
      // Not even started (no such file, not executable): execa reports it as the exit.
      const e = await exitedEarly;
      await this.stop();
      throw this.earlyExitError(e);
    }
    const deadline = new Promise<never>((_, reject) => {
      const t = setTimeout(
        () => reject(new SutError(`the system under test did not become ready within ${this.o.readyTimeoutMs} ms (${describeReady(this.o.ready)})`, `its output is in ${this.o.logPath}; last lines:\n${this.lastLines(10)}`)),
        this.o.readyTimeoutMs,
      );
      t.unref();
      void exitedEarly.finally(() => clearTimeout(t));
    });
    try {
      await Promise.race([this.waitReady(), exitedEarly.then((e) => Promise.reject(this.earlyExitError(e))), deadline]);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.summary.readyMs = Date.now() - t0;
  }

  /** stop ends the SUT: SIGTERM to its process group, SIGKILL after the grace; resolves when it has exited and its output is flushed. */
  async stop(): Promise<SutSummary> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child?.pid !== undefined && this.childDone) {
      const pid = child.pid;
      killGroup(pid, 'SIGTERM');
      const graceful = await Promise.race([this.childDone.then(() => true), sleep(this.o.stopGraceMs).then(() => false)]);
      if (!graceful) {
        this.o.say(`racerig: sut: still running ${this.o.stopGraceMs} ms after SIGTERM; sending SIGKILL\n`);
        killGroup(pid, 'SIGKILL');
        await this.childDone;
      }
      // Children it left in its group go too.
      killGroup(pid, 'SIGKILL');
    }
    await new Promise<void>((resolve) => (this.log.writableEnded ? resolve() : this.log.end(resolve)));
    return this.summary;
  }

  /** result is the summary so far. */
  result(): SutSummary {
    return this.summary;
  }

  private spawn(): Promise<SutExit & { spawnError?: string }> {
    const n = ++this.summary.starts;
    this.startedAtMs = Date.now();
    this.log.write(`--- racerig: start ${n} at ${new Date().toISOString()}: ${this.o.argv.join(' ')}\n`);
    const [file, ...args] = this.o.argv;
    const child = execa(file!, args, { ...GROUP_CHILD, cwd: this.o.cwd, env: this.o.env, extendEnv: true });
    this.child = child;
    if (child.pid !== undefined) trackGroup(child.pid);
    const sinks = (['stdout', 'stderr'] as const).map((s) => {
      const sink = this.o.output?.(s, n);
      const stream = child[s];
      stream?.on('data', (chunk: Buffer) => {
        this.log.write(chunk);
        sink?.write(chunk);
        this.lines(chunk);
      });
      return sink;
    });
    const exited = (async () => {
      const r = await child;
      if (child.pid !== undefined) untrackGroup(child.pid);
      for (const s of sinks) s?.end();
      if (this.partial) this.pushLine(this.partial);
      this.partial = '';
      const code = typeof r.exitCode === 'number' ? r.exitCode : undefined;
      const signal = r.signal ?? undefined;
      const exit: SutExit & { spawnError?: string } = {
        ...(code !== undefined ? { code } : {}),
        ...(signal ? { signal } : {}),
        at: new Date().toISOString(),
        ...(this.o.findings.phase !== undefined ? { phase: this.o.findings.phase } : {}),
        requested: this.stopping,
        ...(r.failed && code === undefined && !signal ? { spawnError: r.originalMessage || r.shortMessage } : {}),
      };
      this.log.write(`--- racerig: exit of start ${n}: ${exitText(exit)}${exit.requested ? ' (stopped by racerig)' : ''}\n`);
      const { spawnError: _s, ...recorded } = exit;
      this.summary.exits.push(recorded);
      if (!exit.requested) this.onUnexpectedExit(exit, n);
      return exit;
    })();
    this.childDone = exited.then(() => undefined);
    return exited;
  }

  private onUnexpectedExit(exit: SutExit & { spawnError?: string }, start: number): void {
    if (this.summary.readyMs === undefined && start === 1) return; // start() reports it as an error
    const ranMs = Date.now() - this.startedAtMs;
    this.o.findings.add({
      kind: 'exit',
      signature: `exit: ${exitText(exit)}`,
      message: `the system under test exited (${exitText(exit)}) after ${(ranMs / 1000).toFixed(1)} s${exit.phase ? ` in phase ${exit.phase}` : ''}`,
      source: 'sut',
      report: this.lastLines(TAIL_LINES),
      ...(exit.phase !== undefined ? { phase: exit.phase } : {}),
    });
    this.o.say(`racerig: sut exited (${exitText(exit)})${this.o.restart === 'on-failure' && failed(exit) ? '; restarting' : ''}\n`);
    if (this.o.restart !== 'on-failure' || !failed(exit) || this.stopping) return;
    // Backoff as a kubelet's, shorter: 250 ms doubling to 4 s, back to 250 ms after 10 s of running.
    const delay = ranMs > 10_000 ? 250 : Math.min(MAX_RESTART_DELAY_MS, 250 * 2 ** Math.min(4, this.summary.restarts));
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.summary.restarts++;
      void this.spawn();
    }, delay);
  }

  private earlyExitError(e: SutExit & { spawnError?: string }): SutError {
    if (e.spawnError) return new SutError(`cannot start the system under test: ${e.spawnError}`, `command: ${this.o.argv.join(' ')}`);
    return new SutError(`the system under test exited (${exitText(e)}) before it was ready`, `its output is in ${this.o.logPath}; last lines:\n${this.lastLines(10)}`);
  }

  private lines(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop()!.slice(-64 * 1024);
    for (const p of parts) this.pushLine(p.endsWith('\r') ? p.slice(0, -1) : p);
  }

  private pushLine(line: string): void {
    this.tail.push(line.length > 2000 ? line.slice(0, 2000) + '…' : line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    for (const l of this.lineListeners) l(line);
  }

  private lastLines(n: number): string {
    return this.tail.slice(-n).join('\n');
  }

  private async waitReady(): Promise<void> {
    const r = this.o.ready;
    if (r.kind === 'none') return;
    if (r.kind === 'delay') return sleep(r.ms);
    if (r.kind === 'log') {
      if (this.tail.some((l) => r.pattern.test(l))) return;
      return new Promise<void>((resolve) => {
        const fn = (line: string) => {
          if (!r.pattern.test(line)) return;
          this.lineListeners = this.lineListeners.filter((x) => x !== fn);
          resolve();
        };
        this.lineListeners.push(fn);
      });
    }
    for (;;) {
      if (this.stopping) return;
      const ok = await fetch(r.url, { signal: AbortSignal.timeout(1000) })
        .then(async (res) => {
          await res.arrayBuffer().catch(() => {});
          return res.status === 200;
        })
        .catch(() => false);
      if (ok) return;
      await sleep(100);
    }
  }
}

function failed(e: SutExit): boolean {
  return e.signal !== undefined || (e.code ?? 1) !== 0;
}

/** exitText says "code 2" or "signal SIGKILL". */
export function exitText(e: Pick<SutExit, 'code' | 'signal'>): string {
  if (e.signal) return `signal ${e.signal}`;
  return `code ${e.code ?? '?'}`;
}

/** describeReady says what the SUT is waited for, for messages. */
export function describeReady(r: ReadySpec): string {
  switch (r.kind) {
    case 'log':
      return `a line matching /${r.pattern.source}/`;
    case 'http':
      return `${r.url} answering 200`;
    case 'delay':
      return `${r.ms} ms`;
    case 'none':
      return 'nothing';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
