/**
 * Comparing findings about the system under test (race reports, panics, restarts) between two
 * sets of runs: counts per kind on each side, and the signatures that are new in the candidate.
 */
import type { Finding } from './model.js';
import type { LoadedResult } from './read-result.js';

/** NewFinding is a finding signature the candidate has and the baseline does not. */
export interface NewFinding {
  kind: string;
  signature: string;
  /** Message of its first occurrence. */
  message: string;
  /** Occurrences summed over the candidate's runs. */
  count: number;
  /** Number of candidate runs in which it occurred. */
  runs: number;
}

/** FindingsComparison holds findings counts per kind for each side and the new signatures. */
export interface FindingsComparison {
  /** Occurrences per kind summed over the baseline's runs. */
  baseline: Record<string, number>;
  /** Occurrences per kind summed over the candidate's runs. */
  candidate: Record<string, number>;
  /** Whether any run of either side carried a findings list (observers were active). */
  observed: boolean;
  newInCandidate: NewFinding[];
  /** Signatures the baseline had and the candidate no longer has. */
  goneInCandidate: string[];
}

function countsByKind(runs: readonly LoadedResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of runs) for (const f of r.result.findings ?? []) out[f.kind] = (out[f.kind] ?? 0) + f.count;
  return out;
}

function bySignature(runs: readonly LoadedResult[]): Map<string, { first: Finding; count: number; runs: number }> {
  const out = new Map<string, { first: Finding; count: number; runs: number }>();
  for (const r of runs) {
    const seenHere = new Set<string>();
    for (const f of r.result.findings ?? []) {
      const key = `${f.kind}\u0000${f.signature}`;
      const e = out.get(key) ?? out.set(key, { first: f, count: 0, runs: 0 }).get(key)!;
      e.count += f.count;
      if (!seenHere.has(key)) e.runs++;
      seenHere.add(key);
    }
  }
  return out;
}

/** compareFindings counts findings on both sides and lists the candidate's new signatures, most frequent first. */
export function compareFindings(baseline: readonly LoadedResult[], candidate: readonly LoadedResult[]): FindingsComparison {
  const base = bySignature(baseline);
  const cand = bySignature(candidate);
  const newInCandidate: NewFinding[] = [];
  for (const [key, e] of cand) {
    if (!base.has(key)) {
      newInCandidate.push({ kind: e.first.kind, signature: e.first.signature, message: e.first.message, count: e.count, runs: e.runs });
    }
  }
  newInCandidate.sort((a, b) => b.count - a.count || a.signature.localeCompare(b.signature));
  const goneInCandidate = [...base].filter(([key]) => !cand.has(key)).map(([, e]) => `${e.first.kind}: ${e.first.signature}`);
  return {
    baseline: countsByKind(baseline),
    candidate: countsByKind(candidate),
    observed: [...baseline, ...candidate].some((r) => Array.isArray(r.result.findings)),
    newInCandidate,
    goneInCandidate,
  };
}
