/**
 * The integrity check of runs against the embedded mock: the run's own response counts per resource
 * and status code must equal what the mock's `/metrics` (apiserver_request_total) counted over the
 * same span. A mismatch means a request was lost, double-counted or mislabelled somewhere.
 */
import type { Profile } from '../profile/types.js';
import type { RunResult } from '../results/model.js';

/** RequestCounts maps `group/resource code` (or `* code` when the run has raw http steps) to a count. */
export type RequestCounts = Map<string, number>;

const LINE = /^apiserver_request_total\{([^}]*)\}\s+(\d+(?:\.\d+)?(?:e\+?\d+)?)\s*$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** parseRequestTotals sums apiserver_request_total of Prometheus text by resource and code (`*` for every resource when `byResource` is false). */
export function parseRequestTotals(text: string, byResource: boolean): RequestCounts {
  const out: RequestCounts = new Map();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of m[1]!.matchAll(LABEL)) labels[l[1]!] = l[2]!;
    const key = `${byResource ? `${labels.group ?? ''}/${labels.resource ?? ''}` : '*'} ${labels.code ?? ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

/** minus returns a − b per key (keys of either). */
export function minus(a: RequestCounts, b: RequestCounts): RequestCounts {
  const out: RequestCounts = new Map();
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const v = (a.get(k) ?? 0) - (b.get(k) ?? 0);
    if (v !== 0) out.set(k, v);
  }
  return out;
}

/** hasRawHttp tells whether a profile has http steps, whose resource racerig cannot know. */
export function hasRawHttp(profile: Profile): boolean {
  return profile.phases.some((p) => p.components.some((c) => c.steps.some((s) => s.kind === 'http')));
}

/** runCounts sums the run's responses per resource (of each operation's steps) and status code. */
export function runCounts(profile: Profile, result: RunResult, byResource: boolean): RequestCounts {
  const resourceOf = new Map<string, string>();
  for (const p of profile.phases) {
    for (const c of p.components) {
      for (const s of c.steps) if ('resource' in s && s.resource) resourceOf.set(s.operation, `${s.resource.group}/${s.resource.resource}`);
    }
  }
  const out: RequestCounts = new Map();
  for (const op of result.operations) {
    if (op.measurement) continue; // delivery lag and limiter waits: samples, not requests
    const res = byResource ? resourceOf.get(op.name) : '*';
    if (res === undefined) continue;
    for (const [code, n] of Object.entries(op.status)) {
      if (code === '0') continue; // no response: the server may not have seen it
      const key = `${res} ${code}`;
      out.set(key, (out.get(key) ?? 0) + n);
    }
  }
  return out;
}

/** IntegrityOutcome is the verdict of the check; `mismatches` lists `key: run N, server M`. */
export interface IntegrityOutcome {
  ok: boolean;
  /** Responses compared. */
  compared: number;
  mismatches: string[];
}

/** checkIntegrity compares the run's counts with the server's counts over the run's span (`server` already a difference). */
export function checkIntegrity(run: RequestCounts, server: RequestCounts): IntegrityOutcome {
  const mismatches: string[] = [];
  let compared = 0;
  for (const k of [...new Set([...run.keys(), ...server.keys()])].sort()) {
    const a = run.get(k) ?? 0;
    const b = server.get(k) ?? 0;
    compared += a;
    if (a !== b) mismatches.push(`${k}: run ${a}, server ${b}`);
  }
  return { ok: mismatches.length === 0, compared, mismatches };
}
