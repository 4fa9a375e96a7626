/** The example controller's own Go tests (wrapper counting and routing, SPDY/3.1 framing and exec, WebSocket framing, kubeconfig reader), in both builds, with the race detector. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EXAMPLE_DIR, goMissing } from '../fixtures/go-example.js';
import { goEnv } from '../../src/cli/demo-race.js';

const missing = goMissing();

for (const [build, tags] of [['rc1-style', []], ['fixed', ['fixed']]] as const) {
  test(`go test -race passes for the ${build} build of the example controller`, { skip: missing ?? false }, () => {
    const r = spawnSync('go', ['test', '-race', '-count=1', ...(tags.length ? ['-tags', tags.join(',')] : []), './...'], { cwd: EXAMPLE_DIR, env: { ...process.env, ...goEnv() }, encoding: 'utf8', timeout: 240_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^ok\s/m);
  });
}
