/**
 * docker-compose.yml without a container engine: each default service's command runs as a local
 * process on loopback, in the order compose would start them (depends_on, waiting for the mock's own
 * healthcheck command to pass), with the service host name and the volumes replaced by 127.0.0.1 and
 * temporary folders; the rig's result must appear with its integrity check OK. And `docker-compose config`
 * validates the file when Debian's docker-compose is installed (.ci/run installs it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { RunResult } from '../../src/results/model.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const racerig = join(root, 'bin', 'racerig');

interface Service {
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval: string; retries: number };
  volumes?: string[];
  profiles?: string[];
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };

/** startOrder lists the services of the default profile with every dependency before its dependents. */
function startOrder(services: Record<string, Service>): string[] {
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (order.includes(name)) return;
    assert.ok(!path.includes(name), `dependency cycle: ${[...path, name].join(' → ')}`);
    for (const dep of Object.keys(services[name]!.depends_on ?? {})) visit(dep, [...path, name]);
    order.push(name);
  };
  for (const [name, s] of Object.entries(services)) if (!s.profiles) visit(name, []);
  return order;
}

/** interpolate applies compose's `${VAR:-default}` with an empty environment. */
const interpolate = (s: string) => s.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

const ms = (d: string) => Number(/^(\d+)s$/.exec(d)![1]) * 1000;

test('docker-compose.yml: mock, then (once its healthcheck passes) rig, run on loopback: the result appears and its integrity check is OK', async (t) => {
  const order = startOrder(compose.services);
  assert.deepEqual(order, ['mock', 'rig']);
  assert.deepEqual(compose.services.rig!.depends_on, { mock: { condition: 'service_healthy' } });
  assert.ok(compose.services.rig!.command!.includes('--allow-remote'), 'the compose host name is not loopback');
  assert.ok(compose.services.rig!.volumes!.includes('./results:/results'));

  const port = await freePort();
  const shared = mkdtempSync(join(tmpdir(), 'racerig-compose-shared-'));
  const results = mkdtempSync(join(tmpdir(), 'racerig-compose-results-'));
  // What differs on loopback: the service host name, the fixed port, and the volumes' mount points.
  const local = (arg: string) =>
    interpolate(arg)
      .replaceAll('0.0.0.0', '127.0.0.1')
      .replaceAll('http://mock:8001', `http://127.0.0.1:${port}`)
      .replaceAll('8001', String(port))
      .replaceAll('/shared', shared)
      .replaceAll('/results', results);

  const mockArgs = compose.services.mock!.command!.map(local);
  const mock = spawn(process.execPath, [racerig, ...mockArgs], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let mockOut = '';
  mock.stdout.on('data', (d: Buffer) => (mockOut += d.toString()));
  mock.stderr.on('data', (d: Buffer) => (mockOut += d.toString()));
  t.after(() => {
    mock.kill('SIGKILL');
  });

  // The healthcheck as compose runs it: the test command, every interval, up to `retries` times.
  const hc = compose.services.mock!.healthcheck!;
  assert.equal(hc.test[0], 'CMD');
  assert.equal(hc.test[1], 'node');
  let healthy = false;
  for (let i = 0; i < hc.retries && !healthy; i++) {
    healthy = spawnSync(process.execPath, hc.test.slice(2).map(local), { timeout: 10_000 }).status === 0;
    if (!healthy) await new Promise((r) => setTimeout(r, ms(hc.interval)));
  }
  assert.ok(healthy, `the mock never became healthy: ${mockOut}`);
  const kubeconfig = readFileSync(join(shared, 'mock.kubeconfig'), 'utf8');
  assert.match(kubeconfig, new RegExp(`server: http://127.0.0.1:${port}`), 'the kubeconfig names the service address (--kubeconfig-server)');

  const rigArgs = compose.services.rig!.command!.map(local);
  const rig = await new Promise<{ code: number | null; out: string }>((done) => {
    execFile(process.execPath, [racerig, ...rigArgs], { cwd: root, timeout: 120_000 }, (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
  });
  assert.equal(rig.code, 0, rig.out);
  const file = join(results, 'compose-smoke.json');
  assert.ok(existsSync(file), `no result at ${file}: ${rig.out}`);
  const r = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
  assert.equal(r.name, 'smoke');
  assert.equal(r.target.kind, 'cluster');
  assert.ok(r.integrity, 'the integrity check ran (--integrity against the racerig mock)');
  assert.equal(r.integrity.ok, true, JSON.stringify(r.integrity));
  assert.ok(r.totals.requests > 0);

  mock.kill('SIGINT');
  const exit = await new Promise<number | null>((done) => {
    const timer = setTimeout(() => done(null), 10_000);
    mock.once('exit', (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
  assert.equal(exit, 0, 'the mock shut down on SIGINT (docker stop sends SIGTERM, handled the same way)');
});

test('docker-compose.yml: the sut profile holds the controller and an observing rig; docker-compose config validates the file', async (t) => {
  assert.deepEqual(compose.services.sut!.profiles, ['sut']);
  assert.deepEqual(compose.services['rig-sut']!.profiles, ['sut']);
  assert.ok(compose.services['rig-sut']!.depends_on!.sut, 'the observing rig starts after the controller');
  const profile = compose.services['rig-sut']!.command![1]!;
  assert.ok(existsSync(join(root, profile.replace('/app/', ''))), `${profile} is shipped in the image`);
  const which = spawnSync('docker-compose', ['version'], { encoding: 'utf8', timeout: 30_000 });
  if (which.error) {
    t.skip('docker-compose is not installed (apt-get install -y docker-compose; .ci/run does): the file was not validated by it');
    console.log('# skipped docker-compose config: docker-compose is not installed');
    return;
  }
  for (const args of [['config'], ['--profile', 'sut', 'config']]) {
    const r = spawnSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SUT_IMAGE: 'example/controller:dev' } });
    assert.equal(r.status, 0, `docker-compose ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /mock:/);
    if (args.includes('sut')) assert.match(r.stdout, /example\/controller:dev/);
  }
});
