/**
 * CPU of the observe log scanner per 1,000 log lines: `npx tsc -p tsconfig.json && node dist/bench/log-scanner.js`.
 * Three corpora scanned from 64 KiB Buffer chunks, five rounds each (median reported): ordinary controller
 * log lines, the same with the committed Go reports mixed in (1 line in 20 belongs to a race, panic or
 * fatal report), and the Go reports alone; each without and with three user patterns (two substrings, one regex).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLogScanner } from '../src/observe/log-scanner.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/go-races/', import.meta.url));
const LINES = 200_000;
const ROUNDS = 5;

const reports = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.log'))
  .sort()
  .flatMap((f) => readFileSync(FIXTURES + f, 'utf8').replace(/\n+$/, '').split('\n'));

function klog(i: number): string {
  return `I1206 02:30:${String(i % 60).padStart(2, '0')}.${String(i % 1e6).padStart(6, '0')}       1 operator.go:${700 + (i % 300)}] "Processing workflow" namespace="argo" workflow="wf-${i % 977}" phase="Running" took=${i % 13}ms`;
}

function corpus(kind: 'plain' | 'mixed' | 'reports'): Buffer {
  const out: string[] = [];
  let r = 0;
  for (let i = 0; i < LINES; i++) {
    if (kind === 'reports' || (kind === 'mixed' && i % 20 === 0)) out.push(reports[r++ % reports.length]!);
    else out.push(klog(i));
  }
  return Buffer.from(out.join('\n') + '\n');
}

function cpuUs(data: Buffer, patterns: string[] | undefined): { us: number; findings: number } {
  let findings = 0;
  const collector = { add: () => void findings++ };
  const start = process.cpuUsage();
  const s = createLogScanner({ source: 'bench', collector, ...(patterns ? { patterns } : {}) });
  for (let i = 0; i < data.length; i += 65536) s.write(data.subarray(i, i + 65536));
  s.end();
  const d = process.cpuUsage(start);
  return { us: d.user + d.system, findings };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const PATTERNS = ['leader election lost', 'context deadline exceeded', '/level=error|E\\d{4} /'];

console.log(`log scanner CPU per 1,000 lines (${LINES} lines per round, median of ${ROUNDS} rounds, Node ${process.version})`);
console.log('corpus    patterns  MB     µs CPU / 1,000 lines   occurrences');
for (const kind of ['plain', 'mixed', 'reports'] as const) {
  const data = corpus(kind);
  for (const patterns of [undefined, PATTERNS]) {
    cpuUs(data, patterns); // warm-up
    const runs = Array.from({ length: ROUNDS }, () => cpuUs(data, patterns));
    const us = median(runs.map((x) => x.us));
    console.log(`${kind.padEnd(9)} ${String(patterns?.length ?? 0).padEnd(9)} ${(data.length / 1e6).toFixed(1).padEnd(6)} ${((us / LINES) * 1000).toFixed(0).padStart(8)}               ${runs[0]!.findings}`);
  }
}
