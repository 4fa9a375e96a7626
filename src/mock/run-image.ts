/** `--run-image <image>=<command>`: which container images the mock's process runner runs, and as what command. */
import { splitCommandLine } from '../sut/command-line.js';

/** parseRunImage parses one `--run-image <image>=<command>` value into [image, command]; throws on a malformed value. */
export function parseRunImage(value: string): [string, string] {
  const at = value.indexOf('=');
  const image = at > 0 ? value.slice(0, at).trim() : '';
  const command = at > 0 ? value.slice(at + 1).trim() : '';
  if (!image || !command) throw new Error(`--run-image must be <image>=<command>, e.g. racerig:test=bin/racerig, got "${value}"`);
  splitCommandLine(command, '--run-image');
  return [image, command];
}
