/**
 * Reading the mock's Prometheus text back: series of one metric with their labels, and sums over
 * label filters (what a run's integrity check compares with its own counts).
 */

/** Sample is one series of a metric: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** parseSamples returns every series of metric `name` (exact name, e.g. apiserver_request_total) in Prometheus text. */
export function parseSamples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  const prefix = name + '{';
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const close = line.lastIndexOf('}');
    const labels: Record<string, string> = {};
    for (const m of line.slice(prefix.length, close).matchAll(LABEL)) labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ labels, value: Number(line.slice(close + 1).trim()) });
  }
  return out;
}

/** sumSamples adds the values of metric `name` over series whose labels include every pair of `filter`. */
export function sumSamples(text: string, name: string, filter: Record<string, string> = {}): number {
  let n = 0;
  for (const s of parseSamples(text, name)) if (Object.entries(filter).every(([k, v]) => s.labels[k] === v)) n += s.value;
  return n;
}
