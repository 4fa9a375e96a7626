/**
 * CliContext carries everything a command touches in the outside world (streams, environment,
 * signals, clock), so tests run commands in-process with their own streams and signals.
 */
import { EventEmitter } from 'node:events';

/** Writable is the small part of a stream a command writes to. */
export interface Writable {
  write(chunk: string): unknown;
  /** Whether the stream is an interactive terminal (enables the live panel). */
  isTTY?: boolean;
  /** Terminal width in columns, when known. */
  columns?: number;
}

/** STOP_SIGNALS are the signals a command treats as a request to stop (SIGHUP: the terminal or SSH session closed). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** CliContext is passed to every command; `signals` emits 'SIGINT', 'SIGTERM' and 'SIGHUP'. */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  signals: EventEmitter;
  /** Ends the process at once with `code` (a third Ctrl-C); in-process test contexts record the code instead. */
  exit?: (code: number) => void;
}

/**
 * onStopSignals calls `handler(signal, count)` for every stop signal (count: how many so far, all
 * kinds together) until the returned function is called. A command keeps it until its result is
 * written and its cleanup has run, so a later signal never finds nobody listening.
 */
export function onStopSignals(ctx: CliContext, handler: (sig: string, count: number) => void): () => void {
  let count = 0;
  const listeners = STOP_SIGNALS.map((sig) => [sig, () => handler(sig, ++count)] as const);
  for (const [sig, l] of listeners) ctx.signals.on(sig, l);
  return () => {
    for (const [sig, l] of listeners) ctx.signals.off(sig, l);
  };
}

/** processContext builds the context of the real process, forwarding SIGINT, SIGTERM and SIGHUP to `signals`. */
export function processContext(): CliContext {
  const signals = new EventEmitter();
  // Forward only while a command listens, so the default Ctrl-C behaviour is kept otherwise.
  const forward = (sig: NodeJS.Signals) => () => {
    if (signals.listenerCount(sig) === 0) process.exit(130);
    signals.emit(sig);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, forward(sig));
  // A reader that goes away (`racerig profiles list | head -1`) is not a failure: later output is
  // dropped, and a run still writes its result file.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', ignoreClosedPipe);
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signals, exit: (code) => process.exit(code) };
}

/** ignoreClosedPipe swallows EPIPE (the reading end closed) and EIO (the terminal went away: SIGHUP) on an output stream and rethrows anything else. */
function ignoreClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
}

/** captureContext builds a context whose output is collected in strings, for in-process tests. */
export function captureContext(
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): CliContext & { out: () => string; err: () => string; exited: () => number | undefined } {
  let out = '';
  let err = '';
  let exited: number | undefined;
  return {
    exit: (code: number) => {
      exited ??= code;
    },
    exited: () => exited,
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    signals: new EventEmitter(),
    out: () => out,
    err: () => err,
  };
}
