/**
 * Whether runs can be compared at all: every run must come from the same profile (same name and
 * content hash), or, for `racerig run <url>` runs without a profile, the same URL path.
 */
import { RacerigError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { LoadedResult } from './read-result.js';

/** NotComparableError says why two sets of runs do not compare (exit code 2). */
export class NotComparableError extends RacerigError {
  constructor(message: string) {
    super('RACERIG_NOT_COMPARABLE', message, {
      exitCode: ExitCode.Usage,
      hint: 'compare runs of one profile; pass --ignore-profile to compare anyway',
    });
    this.name = 'NotComparableError';
  }
}

/**
 * profileKey identifies what a run ran: `profile <name> (sha256 <first 12 hex>)`, or for `run <url>`
 * without a profile the URL path (host and port may differ between runs, e.g. a mock on port 0).
 */
export function profileKey(r: LoadedResult): string {
  const p = r.result.profile;
  if (p) return `profile ${p.name} (sha256 ${p.sha256.slice(0, 12)})`;
  let path = r.result.name;
  try {
    path = new URL(r.result.target.url).pathname;
  } catch {
    // not a URL: fall back to the run's name
  }
  return `run of ${path} (no profile)`;
}

/** checkComparable throws NotComparableError when the runs do not all share one profile, listing which run ran what. */
export function checkComparable(baseline: readonly LoadedResult[], candidate: readonly LoadedResult[]): void {
  const keys = new Map<string, string[]>();
  for (const [side, runs] of [['baseline', baseline], ['candidate', candidate]] as const) {
    for (const r of runs) {
      const k = profileKey(r);
      (keys.get(k) ?? keys.set(k, []).get(k)!).push(`${side} ${r.file}`);
    }
  }
  if (keys.size <= 1) return;
  const names = new Set([...baseline, ...candidate].map((r) => r.result.profile?.name ?? profileKey(r)));
  const why = names.size === 1 ? 'the profile changed between runs' : 'the runs come from different profiles';
  const lines = [...keys].map(([k, files]) => `  ${k}: ${files.slice(0, 3).join(', ')}${files.length > 3 ? `, and ${files.length - 3} more` : ''}`);
  throw new NotComparableError(`these runs do not compare: ${why}:\n${lines.join('\n')}`);
}
