/** Runs wrk 4 (closed model only: it has no rate limit) with a Lua `done` hook that prints JSON. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../measure/executables.js';
import { runMeasured } from '../measure/run-measured.js';
import { checkExit, isPlainGet, commandLine, measuredResult, timeoutFor, type LoadSpec, type ParsedRun, type Tool, type ToolResult } from './tool.js';

const MARKER = 'RACERIG_BENCH_WRK ';

/** WRK_REPORT_LUA prints wrk's totals and latency percentiles (microseconds) as one JSON line. */
export const WRK_REPORT_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${MARKER}{"requests":%d,"durationUs":%d,"errors":%d,"status":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`;

/** wrkVersion returns e.g. "4.1.0", or undefined when wrk is not installed. */
export function wrkVersion(): string | undefined {
  const bin = findExecutable('wrk');
  if (!bin) return undefined;
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return /wrk\s+(?:debian\/)?(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1];
}

/** parseWrk reads the JSON line the Lua hook printed. */
export function parseWrk(stdout: string): ParsedRun {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (!line) throw new Error(`wrk printed no report line: ${stdout.slice(0, 500)}`);
  const r = JSON.parse(line.slice(MARKER.length)) as Record<'requests' | 'durationUs' | 'errors' | 'status' | 'p50' | 'p90' | 'p99' | 'p999' | 'max', number>;
  return {
    requestsPerSec: r.durationUs > 0 ? r.requests / (r.durationUs / 1e6) : 0,
    requests: r.requests,
    errors: r.errors + r.status,
    p50Ms: r.p50 / 1000,
    p90Ms: r.p90 / 1000,
    p99Ms: r.p99 / 1000,
    p999Ms: r.p999 / 1000,
    maxMs: r.max / 1000,
  };
}

/** wrk is the C peer (threads = spec.workers, default 2); it cannot run the open model. */
export const wrk: Tool = {
  name: 'wrk',
  available: () => findExecutable('wrk') !== undefined,
  label: (spec) => `wrk -t ${spec.workers ?? 2}`,
  supports: (spec) => spec.rate === undefined && isPlainGet(spec),
  async run(spec: LoadSpec): Promise<ToolResult> {
    const bin = findExecutable('wrk');
    if (!bin) throw new Error('wrk is not installed (apt-get install wrk)');
    if (spec.rate !== undefined) throw new Error('wrk 4 has no rate limit; use it for closed-model scenarios only');
    const dir = mkdtempSync(join(tmpdir(), 'racerig-bench-wrk-'));
    const script = join(dir, 'report.lua');
    writeFileSync(script, WRK_REPORT_LUA);
    const threads = Math.min(spec.workers ?? 2, spec.connections);
    const args = ['-t', String(threads), '-c', String(spec.connections), '-d', `${spec.durationSec}s`, '--timeout', '10s', '-s', script, spec.url];
    try {
      // wrk does not raise its own open-file limit; the shell raises the soft limit to the hard one.
      const run = await runMeasured({
        command: '/bin/sh',
        args: ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', bin, ...args],
        timeoutMs: timeoutFor(spec.durationSec),
        window: spec.window,
      });
      checkExit('wrk', run);
      const shown = commandLine('wrk', [...args.slice(0, -3), '-s', 'report.lua', spec.url]);
      return measuredResult(wrk.label(spec), spec, run, parseWrk(run.stdout), shown);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
