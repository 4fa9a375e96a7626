/** Runs autocannon (the npm devDependency) with `--json` and parses its report. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { runMeasured } from '../measure/run-measured.js';
import { REPO_ROOT } from '../measure/paths.js';
import { checkExit, isPlainGet, commandLine, measuredResult, timeoutFor, type LoadSpec, type ParsedRun, type Tool, type ToolResult } from './tool.js';

const require = createRequire(join(REPO_ROOT, 'package.json'));

function autocannonDir(): string | undefined {
  try {
    return dirname(require.resolve('autocannon/package.json'));
  } catch {
    return undefined;
  }
}

/** autocannonVersion returns the installed autocannon version, or undefined. */
export function autocannonVersion(): string | undefined {
  const dir = autocannonDir();
  return dir ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version : undefined;
}

/** AutocannonJson is the part of autocannon's `--json` report the bench reads (latencies in ms). */
export interface AutocannonJson {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p50: number; p90: number; p99: number; p99_9: number; max: number };
  requests: { total: number; average: number };
}

/** parseAutocannon turns autocannon's JSON report into the common shape (CPU and memory filled by the caller). */
export function parseAutocannon(stdout: string): ParsedRun {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`autocannon printed no JSON report: ${stdout.slice(0, 500)}`);
  const r = JSON.parse(stdout.slice(start)) as AutocannonJson;
  return {
    requestsPerSec: r.duration > 0 ? r.requests.total / r.duration : 0,
    requests: r.requests.total,
    errors: r.errors + r.non2xx,
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    p999Ms: r.latency.p99_9,
    maxMs: r.latency.max,
  };
}

/** autocannon is the Node.js peer; with workers, `-R` applies per worker, so the rate is divided among them. */
export const autocannon: Tool = {
  name: 'autocannon',
  available: () => autocannonDir() !== undefined,
  label: (spec) => (spec.workers && spec.workers > 1 ? `autocannon -w ${spec.workers}` : 'autocannon'),
  supports: isPlainGet,
  async run(spec: LoadSpec): Promise<ToolResult> {
    const dir = autocannonDir();
    if (!dir) throw new Error('autocannon is not installed (npm install)');
    const workers = spec.workers && spec.workers > 1 ? spec.workers : 0;
    const args = [join(dir, 'autocannon.js'), '-c', String(spec.connections), '-d', String(spec.durationSec), '-j', '-n'];
    if (workers) args.push('-w', String(workers));
    if (spec.rate !== undefined) args.push('-R', String(Math.round(spec.rate / (workers || 1))));
    args.push(spec.url);
    const run = await runMeasured({ command: process.execPath, args, timeoutMs: timeoutFor(spec.durationSec), window: spec.window });
    checkExit('autocannon', run);
    const shownArgs = ['node_modules/autocannon/autocannon.js', ...args.slice(1)];
    return measuredResult(autocannon.label(spec), spec, run, parseAutocannon(run.stdout), commandLine('node', shownArgs));
  },
};
