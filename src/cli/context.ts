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

/** CliContext is passed to every command; `signals` emits 'SIGINT' and 'SIGTERM'. */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  signals: EventEmitter;
}

/** processContext builds the context of the real process, forwarding SIGINT/SIGTERM to `signals`. */
export function processContext(): CliContext {
  const signals = new EventEmitter();
  // Forward only while a command listens, so the default Ctrl-C behaviour is kept otherwise.
  const forward = (sig: NodeJS.Signals) => () => {
    if (signals.listenerCount(sig) === 0) process.exit(130);
    signals.emit(sig);
  };
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  // A reader that goes away (`racerig profiles list | head -1`) is not a failure: later output is
  // dropped, and a run still writes its result file.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', ignoreClosedPipe);
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signals };
}

/** ignoreClosedPipe swallows EPIPE (the reading end closed) on an output stream and rethrows anything else. */
function ignoreClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
}

/** captureContext builds a context whose output is collected in strings, for in-process tests. */
export function captureContext(
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): CliContext & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    signals: new EventEmitter(),
    out: () => out,
    err: () => err,
  };
}
