/** Reading `--sut-ready`. */
import type { ReadySpec } from './sut-process.js';

/** parseReadyFlag reads `--sut-ready`: an http(s) URL, a duration starting with a digit (e.g. 2s), or else a regular expression for a line of the SUT's output. Throws on a bad regular expression. */
export function parseReadyFlag(value: string, parseDuration: (s: string) => number): ReadySpec {
  if (/^https?:\/\//.test(value)) return { kind: 'http', url: value };
  if (/^\d/.test(value)) {
    const ms = parseDuration(value);
    if (Number.isFinite(ms) && ms >= 0) return { kind: 'delay', ms };
  }
  return { kind: 'log', pattern: new RegExp(value) };
}
