// Issue 22 item 15 for profile runs: a kubeconfig server named by a *.localhost name is resolved first,
// every address is checked, and the run's connections (main thread and workers) go only to the checked
// address — never to what a later DNS answer would say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { useResolver } from '../../src/http/resolve-target.js';
import { startMockServerThread } from '../../src/mock/thread.js';
import type { RunResult } from '../../src/results/model.js';

const tmp = mkdtempSync(join(tmpdir(), 'racerig-kcres-'));

test('15 (kubeconfig): a *.localhost server is resolved and checked; a non-loopback answer is refused before any connection, a loopback one is the only address used', async () => {
  // Find a free port on 127.0.0.3, then serve the mock there only: the system resolver's answer for
  // good.localhost (127.0.0.1 or none) would miss it, so a passing run proves the pinned address was used.
  const probe = await startMockServerThread({ host: '127.0.0.3' });
  const port = Number(new URL(probe.url).port);
  await probe.close();
  const configs: Record<string, string> = {};
  const mocks = [];
  for (const name of ['good', 'evil', 'mixed']) {
    configs[name] = join(tmp, `${name}.kubeconfig`);
  }
  const mock = await startMockServerThread({ host: '127.0.0.3', port, kubeconfigPath: configs.good, kubeconfigServer: `http://good.localhost:${port}` });
  mocks.push(mock);
  // The other two kubeconfigs are the same file with another server name.
  const { writeFileSync } = await import('node:fs');
  const text = readFileSync(configs.good!, 'utf8');
  writeFileSync(configs.evil!, text.replaceAll('good.localhost', 'evil.localhost'));
  writeFileSync(configs.mixed!, text.replaceAll('good.localhost', 'mixed.localhost'));
  const asked: string[] = [];
  const restore = useResolver(async (host) => {
    asked.push(host);
    if (host === 'good.localhost') return [{ address: '127.0.0.3', family: 4 }];
    if (host === 'mixed.localhost') return [{ address: '127.0.0.3', family: 4 }, { address: '10.11.12.13', family: 4 }];
    return [{ address: '192.168.77.1', family: 4 }];
  });
  try {
    for (const [name, address] of [['evil', '192.168.77.1'], ['mixed', '10.11.12.13']] as const) {
      const ctx = captureContext({ cwd: tmp });
      const code = await main(['run', 'smoke', '--smoke', '--kubeconfig', configs[name]!, '-q', '-o', join(tmp, `${name}.json`), '-w', '1'], ctx);
      assert.equal(code, ExitCode.TargetFailed, ctx.err());
      assert.match(ctx.err(), new RegExp(`${name}\\.localhost resolves to [^\\n]*${address.replaceAll('.', '\\.')}[^\\n]*not a loopback address`));
    }
    const out = join(tmp, 'good.json');
    const ctx = captureContext({ cwd: tmp });
    const code = await main(['run', 'smoke', '--smoke', '--kubeconfig', configs.good!, '-q', '-o', out, '-w', '1'], ctx);
    assert.equal(code, ExitCode.Ok, ctx.err());
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    const requests = result.operations.reduce((n, o) => n + o.requests, 0);
    const errors = result.operations.reduce((n, o) => n + o.errors, 0);
    assert.ok(requests > 0, 'the run sent requests');
    assert.equal(errors, 0, 'every request, from every worker, reached the checked address');
    assert.deepEqual([...new Set(asked)], ['evil.localhost', 'mixed.localhost', 'good.localhost']);
  } finally {
    restore();
    for (const m of mocks) await m.close();
  }
});
