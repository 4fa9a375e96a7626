// Issue 22 item 15 beyond URL runs: a kubeconfig server named by a *.localhost name is resolved first,
// every address is checked, and the connections of the workers and of the SUT (an external process) go
// only to the checked address; redirects are never followed.
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

test('15 (kubeconfig): a *.localhost server is resolved and checked; a non-loopback answer is refused before any connection, a loopback one is the only address used, by the workers and by the SUT (its kubeconfig is pinned)', async () => {
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
    // A SUT (an external process, resolving names itself) gets a kubeconfig pinned to the checked address.
    const sut = join(tmp, 'sut.cjs');
    writeFileSync(
      sut,
      `const s = require('fs').readFileSync(process.env.KUBECONFIG, 'utf8').match(/server: (\\S+)/)[1];
require('http').get(s + '/api', (r) => console.log('sut-server', s, 'status', r.statusCode)).on('error', (e) => console.log('sut-server', s, 'error', e.code));
setInterval(() => {}, 1000);
`,
    );
    const ctx = captureContext({ cwd: tmp });
    const code = await main(['run', 'smoke', '--smoke', '--kubeconfig', configs.good!, '-q', '-o', out, '-w', '1', '--sut', `${process.execPath} ${sut}`, '--sut-ready', 'sut-server'], ctx);
    assert.equal(code, ExitCode.Ok, ctx.err());
    const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    const requests = result.operations.reduce((n, o) => n + o.requests, 0);
    const errors = result.operations.reduce((n, o) => n + o.errors, 0);
    assert.ok(requests > 0, 'the run sent requests');
    assert.equal(errors, 0, 'every request, from every worker, reached the checked address');
    const sutLog = readFileSync(join(tmp, 'good.sut.log'), 'utf8');
    assert.match(sutLog, new RegExp(`sut-server http://127\\.0\\.0\\.3:${port} status 200`), sutLog);
    assert.deepEqual([...new Set(asked)], ['evil.localhost', 'mixed.localhost', 'good.localhost']);
  } finally {
    restore();
    for (const m of mocks) await m.close();
  }
});

test('15 (redirects): a redirect elsewhere is counted as the 3xx it is and never followed, by either HTTP client', async () => {
  const { createServer } = await import('node:http');
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(302, { location: 'http://10.11.12.13:8080/elsewhere' }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    for (const client of ['fast', 'undici']) {
      const before = hits;
      const out = join(tmp, `redirect-${client}.json`);
      const ctx = captureContext({ cwd: tmp });
      const code = await main(['run', `http://127.0.0.1:${port}/`, '-n', '30', '-c', '2', '-w', '1', '--http-client', client, '-q', '-o', out], ctx);
      const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      const op = result.operations[0]!;
      assert.equal(op.requests, 30, `${client}: ${ctx.err()}`);
      assert.equal(op.status['302'], 30, `${client}: every response is the redirect itself`);
      assert.equal(hits - before, 30, `${client}: the server saw each request once`);
      assert.equal(code, ExitCode.Ok, `${client}: a redirect is a response, not an error`);
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
});
