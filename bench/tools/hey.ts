/** Runs hey (Go) and parses its text summary; its rate limit `-q` applies per worker (connection). */
import { spawnSync } from 'node:child_process';
import { findExecutable } from '../measure/executables.js';
import { runMeasured } from '../measure/run-measured.js';
import { checkExit, isPlainGet, commandLine, measuredResult, timeoutFor, type LoadSpec, type ParsedRun, type Tool, type ToolResult } from './tool.js';

/** heyVersion returns the Debian package version of hey, or undefined. */
export function heyVersion(): string | undefined {
  if (!findExecutable('hey')) return undefined;
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'hey'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function secondsAfter(text: string, label: RegExp): number | null {
  const m = label.exec(text);
  return m?.[1] !== undefined ? Number(m[1]) : null;
}

/** parseHey reads hey's summary (latencies printed in seconds with 0.1 ms resolution; no p99.9). */
export function parseHey(stdout: string): ParsedRun {
  const rate = secondsAfter(stdout, /Requests\/sec:\s+([\d.]+)/);
  if (rate === null) throw new Error(`hey printed no summary: ${stdout.slice(0, 500)}`);
  const ms = (v: number | null): number | null => (v === null ? null : Math.round(v * 1e6) / 1000);
  let ok = 0;
  let bad = 0;
  for (const m of stdout.matchAll(/\[(\d{3})\]\s+(\d+) responses/g)) {
    if (Number(m[1]) < 400) ok += Number(m[2]);
    else bad += Number(m[2]);
  }
  const errorSection = stdout.split('Error distribution:')[1] ?? '';
  for (const m of errorSection.matchAll(/^\s+\[(\d+)\]/gm)) bad += Number(m[1]);
  return {
    requestsPerSec: rate,
    requests: ok + bad,
    errors: bad,
    p50Ms: ms(secondsAfter(stdout, /50% in ([\d.]+) secs/)),
    p90Ms: ms(secondsAfter(stdout, /90% in ([\d.]+) secs/)),
    p99Ms: ms(secondsAfter(stdout, /99% in ([\d.]+) secs/)),
    p999Ms: null,
    maxMs: ms(secondsAfter(stdout, /Slowest:\s+([\d.]+) secs/)),
  };
}

/** hey is the Go peer: `-c` workers, each one connection; `-q` is per worker, so the rate is divided among them. */
export const hey: Tool = {
  name: 'hey',
  available: () => findExecutable('hey') !== undefined,
  label: () => 'hey',
  supports: isPlainGet,
  async run(spec: LoadSpec): Promise<ToolResult> {
    const bin = findExecutable('hey');
    if (!bin) throw new Error('hey is not installed (apt-get install hey)');
    const args = ['-z', `${spec.durationSec}s`, '-c', String(spec.connections), '-t', '10'];
    if (spec.rate !== undefined) args.push('-q', String(spec.rate / spec.connections));
    args.push(spec.url);
    const run = await runMeasured({ command: bin, args, timeoutMs: timeoutFor(spec.durationSec), window: spec.window });
    checkExit('hey', run);
    return measuredResult(hey.label(spec), spec, run, parseHey(run.stdout), commandLine('hey', args));
  },
};
