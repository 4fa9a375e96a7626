/** A problem found in a profile, located by file, line and column. */

/** SourcePos locates a place in a file: 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

/** Problem is one thing wrong with a profile, at a position, with an optional hint. */
export interface Problem extends SourcePos {
  message: string;
  hint?: string;
}

/** formatProblem renders a problem as `file:line:column: message (hint)`. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`;
}

/** sortProblems orders problems by file, then line, then column, dropping exact duplicates. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const p of problems) {
    const key = formatProblem(p);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
}
