/** Flags and helpers shared by the `racerig cluster` subcommands. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseDurationMs } from '../engine/duration.js';

/** DEFAULT_CLUSTER is the kind cluster name racerig uses when `--name` is not given. */
export const DEFAULT_CLUSTER = 'racerig';

/** addNameFlag adds `--name <name>` (default racerig). */
export function addNameFlag(cmd: Command): Command {
  return cmd.option('--name <name>', 'kind cluster name', DEFAULT_CLUSTER);
}

/** addTimeoutFlag adds `--timeout <dur>`: how long the kind command may take before its process group is killed. */
export function addTimeoutFlag(cmd: Command, dflt: string): Command {
  return cmd.option('--timeout <dur>', `kill kind's process group and fail (exit 9) when it takes longer`, dflt);
}

/** durationFlag parses a positive duration flag into ms (UsageError otherwise). */
export function durationFlag(flag: string, value: string): number {
  const ms = parseDurationMs(value);
  if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`${flag} must be a positive duration such as 90s or 5m, got "${value}"`);
  return ms;
}

/** checkName refuses a cluster name kind would refuse (lower-case letters, digits, '-', '.'). */
export function checkName(name: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) throw new UsageError(`--name "${name}" is not a valid kind cluster name (lower-case letters, digits, '-' and '.')`);
  return name;
}
