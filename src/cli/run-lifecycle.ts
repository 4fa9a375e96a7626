/**
 * One run's lifecycle, shared by `run <url>` and `run <profile>`: stop signals (Ctrl-C, SIGTERM,
 * SIGHUP; first: stop, waiting at most the stop grace for work in flight; second: abort at once;
 * both still write the result; third: exit at once, saying what is left behind), the engines run
 * under them, and the end: result file (with fallback), summary, documented exit code.
 */
import { onStopSignals, type CliContext } from './context.js';
import { ExitCode } from '../exit-codes.js';
import type { EngineOutcome, LoadEngine } from '../engine/engine.js';
import type { RunResult } from '../results/model.js';
import { writeResult } from '../results/write-result.js';
import { writeWithFallback } from '../results/output-path.js';
import { renderSummary } from '../report/summary.js';

/** STOP_GRACE_MS is how long the first stop signal of a `run <url>` waits for requests in flight before they are aborted, ms. */
export const STOP_GRACE_MS = 1000;

export { END_BOUND } from '../results/build-result.js';

/** LifecycleOptions say how a run answers stop signals. */
export interface LifecycleOptions {
  quiet: boolean;
  /** First signal: how long work in flight may still finish before it is aborted, ms. */
  stopGraceMs: number;
  /** What is in flight, for the messages: "requests" or "iterations". */
  work: string;
  /** What the run still does after it stopped (a profile run's cleanup), for the messages. */
  thenAlso?: string;
  /** What a third signal leaves behind besides the result file (a profile run's objects), if anything. */
  leftBehind?: () => string | undefined;
}

/** FinishOptions say where a run's result goes and which checks of its own kind decide the exit code. */
export interface FinishOptions {
  out: string;
  /** Folders tried, in order, when `out` cannot be written. */
  fallbackDirs: string[];
  /** Writes further outputs beside the result (`--hgrm`); returns whether one of them fell back. */
  extraOutputs?: (resultPath: string) => boolean;
  /** The run kind's own failed check (integrity, thresholds), checked after the shared ones. */
  check?: (result: RunResult) => ExitCode | undefined;
}

/**
 * RunLifecycle listens for stop signals from construction until `close()`, applies them to the engine
 * running (`run`) and to every later one, and writes the result (`finish`). Main thread only.
 */
export class RunLifecycle {
  private current: LoadEngine | undefined;
  private signals = 0;
  private reason: string | undefined;
  private written = false;
  private readonly off: () => void;

  constructor(
    private readonly ctx: CliContext,
    private readonly o: LifecycleOptions,
  ) {
    this.off = onStopSignals(ctx, (sig, count) => this.onSignal(sig, count));
  }

  /** stoppedBy is why the run was stopped ('interrupted'), or undefined while it was not. */
  get stoppedBy(): string | undefined {
    return this.reason;
  }

  /** run starts `engine` under the signals (stopping or aborting it at once when a signal came before) and resolves with its outcome. */
  async run(engine: LoadEngine): Promise<EngineOutcome> {
    this.current = engine;
    if (this.signals === 1) engine.stop('interrupted', this.o.stopGraceMs);
    else if (this.signals > 1) engine.abort('interrupted');
    try {
      return await engine.start();
    } finally {
      this.current = undefined;
    }
  }

  /** finish writes the result (or to a fallback place, said on stderr), prints the summary and returns the exit code. */
  finish(result: RunResult, f: FinishOptions): number {
    const saved = writeWithFallback(f.out, (p) => writeResult(p, result), f.fallbackDirs);
    if (saved.failed) this.ctx.stderr.write(`racerig: cannot write the result to ${f.out} (${saved.failed.message}); written to ${saved.path} instead\n`);
    this.written = true;
    const extraFellBack = f.extraOutputs?.(saved.path) ?? false;
    if (!this.o.quiet) {
      this.ctx.stdout.write('\n' + renderSummary(result));
      this.ctx.stdout.write(`\nresult: ${saved.path}${result.partial ? ' (partial)' : ''}\n`);
    }
    return exitCodeOf(result, saved.failed !== undefined || extraFellBack, this.ctx) || (f.check?.(result) ?? ExitCode.Ok);
  }

  /** close stops listening for signals (after the result is written and cleanup has run). */
  close(): void {
    this.off();
  }

  private onSignal(sig: string, count: number): void {
    this.signals = count;
    this.reason ??= 'interrupted';
    const { ctx, o } = this;
    const then = o.thenAlso ? `, then ${o.thenAlso}` : '';
    if (count === 1) {
      if (!o.quiet) ctx.stderr.write(`\n${sig}: stopping — waiting up to ${o.stopGraceMs / 1000} s for ${o.work} in flight${then} (press Ctrl-C again to abort at once)\n`);
      this.current?.stop('interrupted', o.stopGraceMs);
    } else if (count === 2) {
      if (!o.quiet) ctx.stderr.write(`\n${sig}: aborting — writing what was measured${then} (press Ctrl-C a third time to exit without it)\n`);
      this.current?.abort('interrupted');
    } else {
      const left = o.leftBehind?.();
      ctx.stderr.write(`\n${sig}: exiting now; ${this.written ? 'the result file was written' : 'no result file was written'}${left ? `; ${left}` : ''}\n`);
      ctx.exit?.(130);
    }
  }
}

/**
 * exitCodeOf maps a written run result to its documented exit code (see exit-codes.ts) as far as
 * every kind of run shares it, explaining the failures on stderr; 0 (Ok) when none applies.
 */
export function exitCodeOf(result: RunResult, fellBack: boolean, ctx: CliContext): number {
  if (result.partial && result.stoppedBy === 'interrupted') return ExitCode.Interrupted;
  if (fellBack) return ExitCode.OutputFallback;
  if (result.stoppedBy === 'worker failure') {
    ctx.stderr.write('racerig: a worker thread failed; the result holds what the others measured\n');
    return ExitCode.WorkerFailed;
  }
  if (result.totals.requests === 0) {
    ctx.stderr.write(`racerig: the run sent no request (${result.totals.dropped} planned ${result.totals.dropped === 1 ? 'arrival was' : 'arrivals were'} dropped)\n`);
    return ExitCode.NothingSent;
  }
  const responses = result.operations.reduce((a, o) => a + (o.measurement ? 0 : Object.values(o.status).reduce((x, y) => x + y, 0)), 0);
  if (responses === 0) {
    ctx.stderr.write(`racerig: every request failed without a response (${Object.entries(result.operations[0]?.errorKinds ?? {}).map(([k, n]) => `${k}×${n}`).join(', ')}); is the target up?\n`);
    return ExitCode.TargetFailed;
  }
  return ExitCode.Ok;
}
