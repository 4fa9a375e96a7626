/**
 * `racerig cluster create|delete|list|kubeconfig|load|logs` against a fake kind first on PATH: the
 * argument arrays kind gets, the environment passing through (KIND_EXPERIMENTAL_PROVIDER), kind's output
 * streamed with a prefix, kind's failures mapped to racerig errors and exit codes, a hanging kind's
 * process group killed on timeout and on Ctrl-C, and the real absence of kind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import { ExitCode } from '../../src/exit-codes.js';
import { installFakeKind, type FakeKind } from './fake-kind.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, check: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function racerig(kind: FakeKind, args: string[], cwd = kind.dir) {
  const ctx = captureContext({ env: kind.env, cwd });
  const code = await main(args, ctx);
  return { code, out: ctx.out(), err: ctx.err(), ctx };
}

test('create: kind create cluster with racerig defaults, output streamed with a prefix, KIND_EXPERIMENTAL_PROVIDER passed through', async (t) => {
  const kind = installFakeKind({}, { KIND_EXPERIMENTAL_PROVIDER: 'podman' });
  t.after(() => kind.remove());
  const r = await racerig(kind, ['cluster', 'create']);
  assert.equal(r.code, ExitCode.Ok, r.err);
  const [call] = kind.calls();
  assert.deepEqual(call!.argv, ['create', 'cluster', '--name', 'racerig', '--wait', '120s']);
  assert.equal(call!.provider, 'podman');
  assert.match(r.err, /^kind\| Creating cluster "racerig" \.\.\.$/m);
  assert.match(r.err, /^kind\|  ✓ Waiting ≤ 2m0s for control-plane = Ready ⏳$/m);
  assert.match(r.out, /cluster "racerig" is ready .*--cluster racerig/);
  assert.deepEqual(kind.state().clusters, ['racerig']);

  writeFileSync(join(kind.dir, 'kind.yaml'), 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n');
  const second = await racerig(kind, ['cluster', 'create', '--name', 'b', '--config', 'kind.yaml', '--image', 'kindest/node:v1.31.0', '--wait', '2m']);
  assert.equal(second.code, ExitCode.Ok, second.err);
  assert.deepEqual(kind.calls()[1]!.argv, ['create', 'cluster', '--name', 'b', '--config', join(kind.dir, 'kind.yaml'), '--image', 'kindest/node:v1.31.0', '--wait', '120s']);
  assert.match(second.err, /Ensuring node image \(kindest\/node:v1\.31\.0\)/);

  const missingConfig = await racerig(kind, ['cluster', 'create', '--name', 'c', '--config', 'nope.yaml']);
  assert.equal(missingConfig.code, ExitCode.Usage);
  assert.equal(kind.calls().length, 2, 'kind was not called with a missing --config');
});

test('create: a cluster that already exists is exit 8 with kind\'s message recognised and a hint', async (t) => {
  const kind = installFakeKind({ clusters: ['racerig'] });
  t.after(() => kind.remove());
  const r = await racerig(kind, ['cluster', 'create']);
  assert.equal(r.code, ExitCode.ClusterFailed);
  assert.match(r.err, /^kind\| ERROR: failed to create cluster: node\(s\) already exist for a cluster with the name "racerig"$/m);
  assert.match(r.err, /racerig: error: a kind cluster named "racerig" already exists/);
  assert.match(r.err, /hint: .*racerig cluster delete --name racerig/);
});

test('a container runtime that is not running is exit 7, recognised in kind\'s own error for create, list and load', async (t) => {
  const kind = installFakeKind({ mode: 'runtime-down', clusters: ['racerig'] });
  t.after(() => kind.remove());
  for (const args of [['cluster', 'create'], ['cluster', 'list'], ['cluster', 'load', 'ctl:a']]) {
    const r = await racerig(kind, args);
    assert.equal(r.code, ExitCode.ClusterUnavailable, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /racerig: error: kind cannot reach its container runtime: .*failed to list (nodes|clusters)/);
    assert.match(r.err, /hint: start Docker .*KIND_EXPERIMENTAL_PROVIDER=podman/);
  }
  assert.match(readFileSync(join(kind.dir, 'calls.ndjson'), 'utf8'), /"create","cluster"/);
});

test('a hanging kind is killed with its whole process group on timeout (exit 9) and on Ctrl-C (exit 130)', async (t) => {
  const kind = installFakeKind({ mode: 'hang' });
  t.after(() => kind.remove());
  const timedOut = await racerig(kind, ['cluster', 'create', '--timeout', '1s']);
  assert.equal(timedOut.code, ExitCode.ClusterTimeout, timedOut.err);
  assert.match(timedOut.err, /racerig: error: kind create cluster --name racerig --wait 120s did not finish within 1s/);
  const first = kind.calls().find((c) => c.hang)!;
  assert.ok(first, 'the fake kind started its helper');
  await until('kind and its helper gone', () => !alive(first.pid) && !alive(first.helper!));

  const ctx = captureContext({ env: kind.env, cwd: kind.dir });
  const running = main(['cluster', 'create', '--name', 'ctrlc'], ctx);
  const second = await until('the second hang', () => kind.calls().filter((c) => c.hang)[1]);
  ctx.signals.emit('SIGINT');
  assert.equal(await running, ExitCode.Interrupted, ctx.err());
  assert.match(ctx.err(), /interrupted/);
  await until('kind and its helper gone after Ctrl-C', () => !alive(second.pid) && !alive(second.helper!));
  assert.equal(ctx.signals.listenerCount('SIGINT'), 0, 'the command stopped listening for Ctrl-C');
});

test('list, kubeconfig (--internal), delete (exit 8 for a missing cluster, kind not asked to delete it)', async (t) => {
  const kind = installFakeKind();
  t.after(() => kind.remove());
  const kc = join(kind.dir, 'kc.yaml');
  writeFileSync(kc, 'apiVersion: v1\nkind: Config\ncurrent-context: kind-racerig\n');
  kind.setState({ kubeconfig: kc });
  const none = await racerig(kind, ['cluster', 'list']);
  assert.equal(none.code, ExitCode.Ok);
  assert.equal(none.out, '');
  assert.match(none.err, /no kind clusters/);
  kind.setState({ clusters: ['racerig', 'other'] });
  const list = await racerig(kind, ['cluster', 'list']);
  assert.equal(list.out, 'racerig\nother\n');
  const k = await racerig(kind, ['cluster', 'kubeconfig', '--internal']);
  assert.equal(k.code, ExitCode.Ok, k.err);
  assert.equal(k.out, readFileSync(kc, 'utf8'), 'the kubeconfig is printed as kind printed it, without a prefix');
  assert.deepEqual(kind.calls().at(-1)!.argv, ['get', 'kubeconfig', '--name', 'racerig', '--internal']);
  const missingKc = await racerig(kind, ['cluster', 'kubeconfig', '--name', 'gone']);
  assert.equal(missingKc.code, ExitCode.ClusterFailed);
  assert.match(missingKc.err, /there is no kind cluster named "gone"/);

  const before = kind.calls().length;
  const del = await racerig(kind, ['cluster', 'delete', '--name', 'gone']);
  assert.equal(del.code, ExitCode.ClusterFailed);
  assert.match(del.err, /racerig: error: there is no kind cluster named "gone"\nhint: racerig cluster list/);
  assert.deepEqual(kind.calls().slice(before).map((c) => c.argv), [['get', 'clusters']]);
  const ok = await racerig(kind, ['cluster', 'delete', '--name', 'other']);
  assert.equal(ok.code, ExitCode.Ok, ok.err);
  assert.deepEqual(kind.calls().at(-1)!.argv, ['delete', 'cluster', '--name', 'other']);
  assert.match(ok.err, /^kind\| Deleted nodes: \["other-control-plane"\]$/m);
  assert.deepEqual(kind.state().clusters, ['racerig']);
});

test('load: kind load docker-image / image-archive; an image not present locally and a missing cluster are exit 8', async (t) => {
  const kind = installFakeKind({ clusters: ['racerig'], images: ['ctl:a', 'ctl:b'] });
  t.after(() => kind.remove());
  const r = await racerig(kind, ['cluster', 'load', 'ctl:a', 'ctl:b']);
  assert.equal(r.code, ExitCode.Ok, r.err);
  assert.deepEqual(kind.calls().at(-1)!.argv, ['load', 'docker-image', '--name', 'racerig', 'ctl:a', 'ctl:b']);
  assert.match(r.err, /^kind\| Image: "ctl:b" with ID "sha256:0f1e2d3c4b5a" not yet present on node "racerig-control-plane", loading\.\.\.$/m);

  writeFileSync(join(kind.dir, 'ctl.tar'), 'tar');
  const a = await racerig(kind, ['cluster', 'load', '--archive', 'ctl.tar']);
  assert.equal(a.code, ExitCode.Ok, a.err);
  assert.deepEqual(kind.calls().at(-1)!.argv, ['load', 'image-archive', '--name', 'racerig', join(kind.dir, 'ctl.tar')]);

  const missing = await racerig(kind, ['cluster', 'load', 'ctl:c']);
  assert.equal(missing.code, ExitCode.ClusterFailed);
  assert.match(missing.err, /racerig: error: image ctl:c is not present locally\nhint: build or pull it first/);
  const noCluster = await racerig(kind, ['cluster', 'load', 'ctl:a', '--name', 'gone']);
  assert.equal(noCluster.code, ExitCode.ClusterFailed);
  assert.match(noCluster.err, /there is no kind cluster named "gone"/);
  const nothing = await racerig(kind, ['cluster', 'load']);
  assert.equal(nothing.code, ExitCode.Usage);
});

test('logs: kind export logs into the given folder or results/kind-logs-<name>-<time>', async (t) => {
  const kind = installFakeKind({ clusters: ['racerig'] });
  t.after(() => kind.remove());
  const r = await racerig(kind, ['cluster', 'logs', 'exported']);
  assert.equal(r.code, ExitCode.Ok, r.err);
  assert.deepEqual(kind.calls().at(-1)!.argv, ['export', 'logs', join(kind.dir, 'exported'), '--name', 'racerig']);
  assert.equal(r.out, `${join(kind.dir, 'exported')}\n`);
  assert.ok(existsSync(join(kind.dir, 'exported', 'racerig-control-plane', 'kubelet.log')));
  const d = await racerig(kind, ['cluster', 'logs']);
  assert.equal(d.code, ExitCode.Ok, d.err);
  assert.match(d.out, new RegExp(`^${join(kind.dir, 'results')}/kind-logs-racerig-\\d{8}T\\d{6}Z\\n$`));
  const gone = await racerig(kind, ['cluster', 'logs', '--name', 'gone']);
  assert.equal(gone.code, ExitCode.ClusterFailed);
  assert.match(gone.err, /there is no kind cluster named "gone"/);
});

test('without kind on PATH: a clear error with how to install it, exit 7 (an empty PATH, and this machine\'s own PATH when kind is absent)', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'racerig-nokind-'));
  const paths: [string, string][] = [['empty PATH', empty]];
  let machineHasKind = true;
  try {
    execFileSync('kind', ['version'], { stdio: 'ignore', timeout: 10_000 });
  } catch (err) {
    machineHasKind = (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  if (!machineHasKind) paths.push(["this machine's PATH", process.env.PATH ?? '']);
  else t.diagnostic('kind is installed on this machine: only the empty PATH is checked');
  for (const [what, PATH] of paths) {
    for (const args of [['cluster', 'create'], ['cluster', 'list'], ['run', 'smoke', '--cluster', 'racerig']]) {
      const ctx = captureContext({ env: { PATH }, cwd: empty });
      const code = await main(args, ctx);
      assert.equal(code, ExitCode.ClusterUnavailable, `${what}: ${args.join(' ')}: ${ctx.err()}`);
      assert.match(ctx.err(), /racerig: error: kind is not installed \(no `kind` executable on PATH\)\nhint: install kind \(https:\/\/kind\.sigs\.k8s\.io/);
    }
  }
});
