import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test("a load worker's modules load neither hdr-histogram-js nor undici's Client until a run asks for the Client", () => {
  const worker = fileURLToPath(new URL('../engine/load-worker.js', import.meta.url));
  const client = fileURLToPath(new URL('./undici-client.js', import.meta.url));
  const script = `
    const clientLoaded = () => Object.keys(require.cache).some((f) => /undici[\\\\/]lib[\\\\/]dispatcher[\\\\/]client\\.js$/.test(f));
    import('${worker}')
      .then(() => import('${client}'))
      .then((m) => {
        const before = clientLoaded();
        if (Object.keys(require.cache).some((f) => f.includes('hdr-histogram-js'))) throw new Error('hdr-histogram-js was loaded');
        const Client = m.undiciClient();
        console.log(JSON.stringify({ before, after: clientLoaded(), same: Client === m.undiciClient(), isClient: typeof Client.prototype.dispatch === 'function' }));
      });`;
  const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), { before: false, after: true, same: true, isClient: true });
});
