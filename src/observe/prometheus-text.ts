/**
 * A parser of the Prometheus text exposition format (version 0.0.4): `# HELP` / `# TYPE` and other
 * comments, samples with or without labels, escapes in label values (`\\`, `\"`, `\n`), NaN and ±Inf
 * values, optional timestamps. Lines it cannot read are counted, not fatal.
 */

/** PromSample is one sample line: metric name, labels and value. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** PromText is a parsed exposition: samples in order, `# TYPE` and `# HELP` per metric family, and the count of unreadable lines. */
export interface PromText {
  samples: PromSample[];
  types: Record<string, string>;
  help: Record<string, string>;
  invalidLines: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** parseValue reads a sample value as Prometheus writes it (Go float syntax, NaN, +Inf, -Inf); NaN for anything else too, with `ok` false. */
export function parseValue(s: string): { value: number; ok: boolean } {
  switch (s) {
    case 'NaN':
      return { value: NaN, ok: true };
    case '+Inf':
    case 'Inf':
      return { value: Infinity, ok: true };
    case '-Inf':
      return { value: -Infinity, ok: true };
  }
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(s) && !/^[-+]?0x[0-9a-fA-F]+$/.test(s)) return { value: NaN, ok: false };
  return { value: Number(s), ok: true };
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** parseLabels reads `{a="x",b="y\"z"}` from `line` at `at` (the `{`); returns the labels and the index after `}`, or undefined when malformed. */
function parseLabels(line: string, at: number): { labels: Record<string, string>; next: number } | undefined {
  const labels: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === '}') return { labels, next: i + 1 };
    const m = LABEL_NAME.exec(line.slice(i, i + 256));
    if (!m) return undefined;
    const name = m[0];
    i += name.length;
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] !== '=') return undefined;
    i++;
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] !== '"') return undefined;
    i++;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === '\\') {
        const n = line[i + 1];
        value += n === 'n' ? '\n' : n === '"' ? '"' : n === '\\' ? '\\' : '\\' + (n ?? '');
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    labels[name] = value;
    i++;
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') return undefined;
  }
}

/** parsePrometheusText parses a whole exposition; `keep` (optional) selects the metric names whose samples are kept (others are skipped cheaply). */
export function parsePrometheusText(text: string, keep?: (name: string) => boolean): PromText {
  const out: PromText = { samples: [], types: {}, help: {}, invalidLines: 0 };
  for (let raw of text.split('\n')) {
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (m) {
        if (m[1] === 'TYPE') out.types[m[2]!] = (m[3] ?? '').trim();
        else out.help[m[2]!] = unescapeHelp(m[3] ?? '');
      }
      continue;
    }
    const nm = NAME.exec(line);
    if (!nm) {
      out.invalidLines++;
      continue;
    }
    const name = nm[0];
    if (keep && !keep(name)) continue;
    let i = name.length;
    while (line[i] === ' ' || line[i] === '\t') i++;
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const l = parseLabels(line, i);
      if (!l) {
        out.invalidLines++;
        continue;
      }
      labels = l.labels;
      i = l.next;
    }
    const rest = line.slice(i).trim().split(/\s+/);
    if (rest.length < 1 || rest.length > 2 || rest[0] === '') {
      out.invalidLines++;
      continue;
    }
    const v = parseValue(rest[0]!);
    if (!v.ok) {
      out.invalidLines++;
      continue;
    }
    out.samples.push({ name, labels, value: v.value });
  }
  return out;
}

/** seriesKey is the canonical text of a label set: `{a="x",b="y"}` with names sorted and values escaped ('' for no labels). */
export function seriesKey(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return '';
  return `{${names.map((n) => `${n}="${labels[n]!.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}
