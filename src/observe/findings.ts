/**
 * The findings of one run: occurrences reported by observers, deduplicated by kind and signature, counted,
 * with the first occurrence kept verbatim. Single-threaded (main thread); listeners are called synchronously.
 */
import type { Finding } from '../results/model.js';

/** MAX_REPORT_CHARS caps the verbatim first report kept per signature. */
export const MAX_REPORT_CHARS = 64 * 1024;

/** Occurrence is one sighting an observer reports; `count` defaults to 1. */
export type Occurrence = Omit<Finding, 'count' | 'firstAt'> & { count?: number; at?: Date };

/** FindingsCollector gathers occurrences into findings and tells listeners about each new signature and each occurrence. */
export class FindingsCollector {
  private readonly byKey = new Map<string, Finding>();
  private readonly listeners: Array<(f: Finding, isNew: boolean) => void> = [];
  private phaseName: string | undefined;

  /** setPhase names the phase new occurrences are attributed to. */
  setPhase(name: string | undefined): void {
    this.phaseName = name;
  }

  /** phase is the phase occurrences are attributed to now. */
  get phase(): string | undefined {
    return this.phaseName;
  }

  /** onFinding calls `fn` for every occurrence (isNew: first of its signature); returns a function that removes it. */
  onFinding(fn: (f: Finding, isNew: boolean) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** add records one occurrence. */
  add(o: Occurrence): Finding {
    const key = `${o.kind}\u0000${o.signature}`;
    const n = o.count ?? 1;
    let f = this.byKey.get(key);
    const isNew = !f;
    if (f) f.count += n;
    else {
      const { count: _c, at, report, phase, ...rest } = o;
      f = {
        ...rest,
        count: n,
        firstAt: (at ?? new Date()).toISOString(),
        ...((phase ?? this.phaseName) !== undefined ? { phase: phase ?? this.phaseName } : {}),
        ...(report !== undefined ? { report: report.length > MAX_REPORT_CHARS ? report.slice(0, MAX_REPORT_CHARS) + '\n…(cut)' : report } : {}),
      };
      this.byKey.set(key, f);
    }
    for (const l of this.listeners) l(f, isNew);
    return f;
  }

  /** list returns the findings in the order their signatures were first seen. */
  list(): Finding[] {
    return [...this.byKey.values()];
  }

  /** total is the number of occurrences of every signature. */
  get total(): number {
    let n = 0;
    for (const f of this.byKey.values()) n += f.count;
    return n;
  }
}
