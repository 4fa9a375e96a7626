import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';

async function run(args: string[]) {
  const ctx = captureContext();
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err() };
}

test('-d with a profile is refused before anything starts, with the other URL-only flags, in plain English', async () => {
  const one = await run(['run', 'smoke', '-d', '5s']);
  assert.equal(one.code, ExitCode.Usage);
  assert.match(one.err, /--duration applies to URL runs only; a profile sets its own load and phase durations/);
  const two = await run(['run', 'smoke', '-d', '5s', '--rate', '10']);
  assert.equal(two.code, ExitCode.Usage);
  assert.match(two.err, /--rate, --duration apply to URL runs only/);
  const sut = await run(['run', 'http://127.0.0.1:1/', '--sut-ready', '1s']);
  assert.equal(sut.code, ExitCode.Usage);
  assert.match(sut.err, /--sut-ready applies to profile runs, not to a URL/);
});

test('every flag problem of a profile run (and of a URL run given profile flags) is listed at once (exit 2)', async () => {
  const r = await run(['run', 'smoke', '-d', '5s', '-w', '0', '--timeout', '1us', '-l', 'nokey', '--cluster', 'x', '--kubeconfig', 'k', '--gather', '5ms', '-c', 'many', '--max-lag', 'soon']);
  assert.equal(r.code, ExitCode.Usage);
  for (const problem of [
    /--duration applies to URL runs only/,
    /--cluster picks the target itself; it cannot be combined with --kubeconfig/,
    /--label must be key=value, got "nokey"/,
    /--gather must be a duration from 0 to 1ms/,
    /--workers must be an integer ≥ 1, got "0"/,
    /--connections must be an integer ≥ 1, got "many"/,
    /--timeout must be at least 10ms/,
    /--max-lag must be a positive duration/,
  ]) assert.match(r.err, problem);
  const url = await run(['run', 'http://127.0.0.1:1/', '--smoke', '--keep', '-c', '0']);
  assert.equal(url.code, ExitCode.Usage);
  for (const problem of [/--smoke applies to profile runs, not to a URL/, /--keep applies to profile runs, not to a URL/, /--connections must be an integer ≥ 1/]) assert.match(url.err, problem);
});

test('run --help gives the defaults of URL runs and of profile runs where they differ', async () => {
  const r = await run(['run', '--help']);
  assert.equal(r.code, ExitCode.Ok);
  const help = r.out.replace(/\s+/g, ' ');
  assert.match(help, /URL: total connections \(default 50\); profile: connections per worker for ordinary requests \(default 16\)/);
  assert.match(help, /per-request timeout \(default: URL 10s, profile 30s\)/);
  assert.match(help, /URL runs: run length/);
});
