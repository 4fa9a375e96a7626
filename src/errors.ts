/**
 * Errors with stable codes. Errors cross thread boundaries as plain data (see `toErrorData`),
 * so code branches on `code`, never on `instanceof`.
 */
import { ExitCode } from './exit-codes.js';

/** RacerigError is the base error: a stable `code`, an optional `hint`, and the exit code it maps to. */
export class RacerigError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RacerigError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.Internal;
  }
}

/** UsageError reports invalid command-line flags or arguments (exit code 2). */
export class UsageError extends RacerigError {
  constructor(message: string, hint?: string) {
    super('RACERIG_USAGE', message, { hint, exitCode: ExitCode.Usage });
    this.name = 'UsageError';
  }
}

/** ProfileError reports every problem found in a profile, each with file:line:column (exit code 3). */
export class ProfileError extends RacerigError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], hint?: string) {
    super('RACERIG_PROFILE_INVALID', problems.join('\n'), { hint, exitCode: ExitCode.ProfileInvalid });
    this.name = 'ProfileError';
    this.problems = problems;
  }
}

/** TargetError reports a target that cannot be used at all (exit code 4). */
export class TargetError extends RacerigError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('RACERIG_TARGET', message, { hint, exitCode: ExitCode.TargetFailed, cause });
    this.name = 'TargetError';
  }
}

/** SutError reports a system under test that could not be started or did not become ready (exit code 6). */
export class SutError extends RacerigError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('RACERIG_SUT', message, { hint, exitCode: ExitCode.SutFailed, cause });
    this.name = 'SutError';
  }
}

/** ObserveError reports an observer of the system under test that cannot work (a bad pattern, an unreachable metrics URL); `code` starts with RACERIG_OBSERVE. */
export class ObserveError extends RacerigError {
  constructor(code: `RACERIG_OBSERVE${string}`, message: string, options: { hint?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(code, message, { ...options, exitCode: options.exitCode ?? ExitCode.TargetFailed });
    this.name = 'ObserveError';
  }
}

/** ClusterError reports a failed `racerig cluster` step or `--cluster` lookup; `code` starts with RACERIG_CLUSTER (exit codes 7, 8, 9 or 130). */
export class ClusterError extends RacerigError {
  constructor(code: `RACERIG_CLUSTER${string}`, message: string, options: { hint?: string; exitCode: ExitCode; cause?: unknown }) {
    super(code, message, options);
    this.name = 'ClusterError';
  }
}

/** STEP_FAILED is the code of StepFailure. */
export const STEP_FAILED = 'RACERIG_STEP_FAILED';

/** StepFailure ends a profile iteration: a step got an unexpected answer or its expectation failed. `reason` is the short text failed iterations are counted under. */
export class StepFailure extends RacerigError {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(STEP_FAILED, message);
    this.name = 'StepFailure';
    this.reason = reason;
  }
}

/** ErrorData is the plain-object form of an error that crosses worker boundaries. */
export interface ErrorData {
  code: string;
  message: string;
  hint?: string;
  exitCode?: number;
}

/** toErrorData converts any thrown value to plain data that survives structured clone. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof RacerigError) {
    return { code: err.code, message: err.message, hint: err.hint, exitCode: err.exitCode };
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'RACERIG_INTERNAL', message: err.message };
  }
  return { code: 'RACERIG_INTERNAL', message: String(err) };
}

/** fromErrorData rebuilds a RacerigError from plain data received from a worker. */
export function fromErrorData(data: ErrorData): RacerigError {
  return new RacerigError(data.code, data.message, {
    hint: data.hint,
    exitCode: (data.exitCode as ExitCode | undefined) ?? ExitCode.Internal,
  });
}
