/**
 * `run --cluster` and `cluster deploy` end to end: a fake kind whose `get kubeconfig` prints a kubeconfig
 * for a racerig mock this test started (context kind-<name>, as kind names it), so the run, its system
 * under test and the deploy really talk to an API server. Also: the temporary kubeconfig's mode and
 * removal, deploy's server-side apply (field manager racerig), image override, rollout wait, pods and
 * images, and its timeout and Ctrl-C paths.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { startMockServer, type MockServer } from '../../src/mock/server.js';
import { withClusterKubeconfig } from '../../src/cluster/cluster-target.js';
import type { RunResult } from '../../src/results/model.js';
import { installFakeKind, type FakeKind } from './fake-kind.js';

let mock: MockServer;
let kind: FakeKind;

before(async () => {
  mock = await startMockServer({ host: '127.0.0.1', port: 0, lifecycle: { podStartDelayMs: 20, jitter: 0 }, podTerminationMs: 20 });
  kind = installFakeKind({ clusters: ['racerig'] });
  const kc = join(kind.dir, 'kind-racerig.kubeconfig');
  writeFileSync(
    kc,
    `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: ${mock.url}
  name: kind-racerig
contexts:
- context:
    cluster: kind-racerig
    user: kind-racerig
  name: kind-racerig
current-context: kind-racerig
users:
- name: kind-racerig
  user:
    token: kind-admin
`,
  );
  kind.setState({ kubeconfig: kc });
});

after(async () => {
  await mock.close();
  kind.remove();
});

const kindTemps = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('racerig-kind-')));

async function until<T>(what: string, check: () => T | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('withClusterKubeconfig: the kind kubeconfig in a 0600 file named with context kind-<name>, removed after the work and after a failure', async () => {
  const ctx = captureContext({ env: kind.env, cwd: kind.dir });
  let seen = '';
  await withClusterKubeconfig('racerig', ctx, async (file, context) => {
    seen = file;
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(context, 'kind-racerig');
    assert.match(readFileSync(file, 'utf8'), new RegExp(`server: ${mock.url}`));
  });
  assert.ok(seen && !existsSync(seen), 'removed after the work');
  await assert.rejects(
    withClusterKubeconfig('racerig', ctx, async (file) => {
      seen = file;
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.ok(!existsSync(seen), 'removed after a failure');
});

test('run <profile> --cluster: the run and its SUT target the kind cluster; the temporary kubeconfig is gone afterwards', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-cluster-run-'));
  const profile = join(dir, 'p.yaml');
  writeFileSync(
    profile,
    `name: cluster-lister
description: Lists pods at 5/s in a kind cluster; emulates no controller.
target: {namespace: clusterns, createNamespace: true}
phases:
  - name: load
    duration: 1s
    components:
      - name: lister
        rate: 5
        scenario:
          - list: {resource: pods}
`,
  );
  const out = join(dir, 'r.json');
  const temps = kindTemps();
  const ctx = captureContext({ env: kind.env, cwd: dir });
  const sut = `sh -c 'grep "server:" "$KUBECONFIG"; echo "context $(grep current-context "$KUBECONFIG")"; echo sut ready; exec sleep 30'`;
  const code = await main(['run', profile, '--cluster', 'racerig', '-w', '1', '-o', out, '--sut', sut, '--sut-ready', '^sut ready'], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
  assert.match(ctx.out(), new RegExp(`racerig: target ${mock.url} \\(context kind-racerig, user kind-racerig\\)`));
  assert.deepEqual(kind.calls().at(-1)!.argv, ['get', 'kubeconfig', '--name', 'racerig']);
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  assert.equal(r.target.kind, 'cluster');
  assert.equal(r.target.url, mock.url);
  assert.ok(r.totals.requests > 0 && r.totals.errors === 0, JSON.stringify(r.totals));
  const sutLog = readFileSync(r.sut!.logFile, 'utf8');
  assert.match(sutLog, new RegExp(`server: ${mock.url}`), "the SUT's KUBECONFIG is the cluster's");
  assert.match(sutLog, /context current-context: kind-racerig/);
  const left = [...kindTemps()].filter((n) => !temps.has(n));
  assert.deepEqual(left, [], 'the temporary kubeconfig folder was removed');
});

test('run --cluster: a missing cluster is exit 8; combined with --kubeconfig it is exit 2', async () => {
  const ctx = captureContext({ env: kind.env, cwd: kind.dir });
  assert.equal(await main(['run', 'smoke', '--cluster', 'gone'], ctx), ExitCode.ClusterFailed);
  assert.match(ctx.err(), /there is no kind cluster named "gone"/);
  const ctx2 = captureContext({ env: kind.env, cwd: kind.dir });
  assert.equal(await main(['run', 'smoke', '--cluster', 'racerig', '--kubeconfig', 'x'], ctx2), ExitCode.Usage);
  assert.match(ctx2.err(), /--cluster picks the target itself; it cannot be combined with --kubeconfig/);
  const ctx3 = captureContext({ env: kind.env, cwd: kind.dir });
  assert.equal(await main(['run', 'http://127.0.0.1:1/', '--cluster', 'racerig'], ctx3), ExitCode.Usage);
});

const manifests = (image: string, extraTemplate = '') => `apiVersion: v1
kind: Namespace
metadata:
  name: ctl-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ctl
  namespace: ctl-system
spec:
  replicas: 2
  selector:
    matchLabels: {app: ctl}
  template:
    metadata:
      labels: {app: ctl}
${extraTemplate}    spec:
      serviceAccountName: ctl
      containers:
        - name: controller
          image: ${image}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ctl
  namespace: ctl-system
`;

test('cluster deploy: server-side apply as racerig, --set-image, rollout waited for through a watch, pods and images printed; a second build rolls over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-deploy-'));
  writeFileSync(join(dir, 'ctl.yaml'), manifests('ctl:dev'));
  const ctx = captureContext({ env: kind.env, cwd: dir });
  const code = await main(['cluster', 'deploy', '-f', 'ctl.yaml', '--set-image', 'controller=ctl:a', '--wait', '20s'], ctx);
  assert.equal(code, ExitCode.Ok, ctx.err() + ctx.out());
  const out = ctx.out();
  // Namespace first, then the rest in file order.
  assert.match(out, /^namespace\/ctl-system serverside-applied\ndeployment\.apps\/ctl serverside-applied\nserviceaccount\/ctl serverside-applied\n/);
  assert.match(out, /deployment "ctl" successfully rolled out/);
  const rows = out.split('\n').filter((l) => /^ctl-[0-9a-f]{10}-/.test(l));
  assert.equal(rows.length, 2, out);
  for (const row of rows) assert.match(row, /\s1\/1\s+Running\s+0\s+controller=ctl:a$/);
  const dep = await (await fetch(`${mock.url}/apis/apps/v1/namespaces/ctl-system/deployments/ctl`)).json() as any;
  assert.deepEqual(dep.metadata.managedFields.filter((f: any) => f.operation === 'Apply').map((f: any) => f.manager), ['racerig']);
  assert.equal(dep.spec.template.spec.containers[0].image, 'ctl:a');

  const ctx2 = captureContext({ env: kind.env, cwd: dir });
  assert.equal(await main(['cluster', 'deploy', '-f', 'ctl.yaml', '--set-image', 'controller=ctl:b'], ctx2), ExitCode.Ok, ctx2.err());
  assert.match(ctx2.out(), /deployment "ctl" successfully rolled out/);
  const rows2 = ctx2.out().split('\n').filter((l) => /^ctl-[0-9a-f]{10}-/.test(l));
  assert.equal(rows2.length, 2, ctx2.out());
  for (const row of rows2) assert.match(row, /controller=ctl:b$/);

  const bad = captureContext({ env: kind.env, cwd: dir });
  assert.equal(await main(['cluster', 'deploy', '-f', 'ctl.yaml', '--set-image', 'sidecar=x:1'], bad), ExitCode.Usage);
  assert.match(bad.err(), /no container named "sidecar"/);
});

test('cluster deploy: a rollout that does not finish prints the pods\' states and recent events (exit 9); Ctrl-C while waiting is exit 130; an unknown kind is exit 8', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-deploy-'));
  // Pods that take ten minutes to start: the rollout cannot finish in time.
  writeFileSync(join(dir, 'stuck.yaml'), manifests('ctl:a', '      annotations: {racerig.dev/start-delay-ms: "600000"}\n').replaceAll('ctl-system', 'stuck-system'));
  const ctx = captureContext({ env: kind.env, cwd: dir });
  const code = await main(['cluster', 'deploy', '-f', 'stuck.yaml', '--wait', '1s'], ctx);
  assert.equal(code, ExitCode.ClusterTimeout, ctx.err());
  assert.match(ctx.out(), /Waiting for deployment "ctl" rollout to finish: 0 of 2 updated replicas are available\.\.\./);
  assert.match(ctx.out(), /racerig: stuck-system\/ctl did not roll out/);
  assert.equal(ctx.out().split('\n').filter((l) => /^ctl-[0-9a-f]{10}-\S+\s+0\/1\s+Pending\s+0\s+controller=ctl:a$/.test(l)).length, 2, ctx.out());
  assert.match(ctx.out(), /recent events in stuck-system about ctl\*:/);
  assert.match(ctx.err(), /racerig: error: the rollout of stuck-system\/ctl did not finish within 1s\nhint: the pods' states and recent events are above/);

  const ctx2 = captureContext({ env: kind.env, cwd: dir });
  const running = main(['cluster', 'deploy', '-f', 'stuck.yaml', '--wait', '1m'], ctx2);
  await until('waiting', () => /Waiting for deployment/.test(ctx2.out()));
  ctx2.signals.emit('SIGINT');
  assert.equal(await running, ExitCode.Interrupted, ctx2.err());

  writeFileSync(join(dir, 'unknown.yaml'), 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n');
  const ctx3 = captureContext({ env: kind.env, cwd: dir });
  assert.equal(await main(['cluster', 'deploy', '-f', 'unknown.yaml'], ctx3), ExitCode.ClusterFailed);
  assert.match(ctx3.err(), /unknown\.yaml: Widget w: .*\nhint: install the CRD first/);
});
