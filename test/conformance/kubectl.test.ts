/**
 * The conformance checks (checks.ts) through every installed kubectl version, each against its own
 * namespace of one mock. A missing kubectl skips the file with the reason printed.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, kubectl, startKubectl, waitFor, type KubectlResult, type MockFixture } from '../mock/helpers.js';
import { checksFor, Scoreboard } from './checks.js';
import { configMap, installedKubectls, runningPod, startConformanceMock } from './fixture.js';

let fx: MockFixture;
before(async () => {
  fx = await startConformanceMock();
});
after(() => fx?.close());

const versions = installedKubectls();
if (versions.length === 0) console.log('# conformance kubectl: skipped, no kubectl on PATH');

interface Ctx {
  k: (args: string[], stdin?: string) => Promise<KubectlResult>;
  ok: (args: string[], stdin?: string) => Promise<string>;
  ns: string;
  url: string;
  kc: string;
  bin: string;
}

const yaml = (o: unknown) => stringify(o);
const getJson = async (c: Ctx, what: string[]) => JSON.parse(await c.ok(['get', ...what, '-n', c.ns, '-o', 'json']));
const exists = async (c: Ctx, what: string[]) => (await c.k(['get', ...what, '-n', c.ns, '-o', 'name'])).code === 0;

function deployment(name: string, ns: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
  };
}

const CHECKS: Record<string, (c: Ctx) => Promise<void>> = {
  'dry-run-create': async (c) => {
    const out = await c.ok(['create', 'configmap', 'dry', '-n', c.ns, '--from-literal=a=b', '--dry-run=server', '-o', 'json']);
    assert.equal(JSON.parse(out).data.a, 'b');
    assert.equal(await exists(c, ['configmap', 'dry']), false);
  },
  'dry-run-delete': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(configMap('keep', c.ns)));
    const out = await c.ok(['delete', 'configmap', 'keep', '-n', c.ns, '--dry-run=server']);
    assert.match(out, /deleted \(server dry run\)/);
    assert.equal(await exists(c, ['configmap', 'keep']), true);
  },
  'dry-run-delete-all': async (c) => {
    for (const n of ['all-1', 'all-2']) await c.ok(['apply', '-f', '-'], yaml(configMap(n, c.ns)));
    await c.ok(['delete', 'configmaps', '--all', '-n', c.ns, '--dry-run=server']);
    assert.equal(await exists(c, ['configmap', 'all-1']), true);
    assert.equal(await exists(c, ['configmap', 'all-2']), true);
  },
  'dry-run-delete-cascade': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(deployment('casc', c.ns)));
    await waitFor('a pod of casc', async () => (await c.ok(['get', 'pods', '-n', c.ns, '-l', 'app=casc', '-o', 'name'])).trim());
    await c.ok(['delete', 'deployment', 'casc', '-n', c.ns, '--cascade=foreground', '--dry-run=server']);
    const d = await getJson(c, ['deployment', 'casc']);
    assert.equal(d.metadata.deletionTimestamp, undefined);
    assert.ok((await c.ok(['get', 'pods', '-n', c.ns, '-l', 'app=casc', '-o', 'name'])).trim());
  },
  'dry-run-delete-namespace': async (c) => {
    await c.ok(['delete', 'namespace', c.ns, '--dry-run=server']);
    const ns = JSON.parse(await c.ok(['get', 'namespace', c.ns, '-o', 'json']));
    assert.equal(ns.status.phase, 'Active');
  },
  'dry-run-apply': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(configMap('ap', c.ns)));
    const out = await c.ok(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], yaml(configMap('ap', c.ns, { k: 'v2' })));
    assert.equal(JSON.parse(out).data.k, 'v2');
    assert.equal((await getJson(c, ['configmap', 'ap'])).data.k, 'v1');
  },
  'dry-run-server-side-apply': async (c) => {
    await c.ok(['apply', '--server-side', '-f', '-'], yaml(configMap('ssa', c.ns)));
    const out = await c.ok(['apply', '--server-side', '--dry-run=server', '-o', 'json', '-f', '-'], yaml(configMap('ssa', c.ns, { k: 'v2' })));
    assert.equal(JSON.parse(out).data.k, 'v2');
    assert.equal((await getJson(c, ['configmap', 'ssa'])).data.k, 'v1');
  },
  diff: async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(configMap('df', c.ns)));
    const r = await c.k(['diff', '-f', '-'], yaml(configMap('df', c.ns, { k: 'v2' })));
    assert.equal(r.code, 1, `kubectl diff exits 1 when there is a difference: ${r.stderr}`);
    assert.match(r.stdout, /^\+\s+k: v2$/m);
    assert.match(r.stdout, /^-\s+k: v1$/m);
  },
  'dry-run-patch': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(configMap('pt', c.ns)));
    const out = await c.ok(['patch', 'configmap', 'pt', '-n', c.ns, '--type=merge', '-p', '{"data":{"k":"a-much-longer-value-than-before"}}', '--dry-run=server', '-o', 'json']);
    assert.equal(JSON.parse(out).data.k, 'a-much-longer-value-than-before');
    assert.equal((await getJson(c, ['configmap', 'pt'])).data.k, 'v1');
  },
  'dry-run-replace': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(configMap('rp', c.ns)));
    const out = await c.ok(['replace', '--dry-run=server', '-o', 'json', '-f', '-'], yaml(configMap('rp', c.ns, { k: 'replaced', more: 'x' })));
    assert.equal(JSON.parse(out).data.more, 'x');
    assert.equal((await getJson(c, ['configmap', 'rp'])).data.more, undefined);
  },
  'field-manager-too-long': async (c) => {
    const r = await c.k(['apply', '--server-side', `--field-manager=${'m'.repeat(129)}`, '-f', '-'], yaml(configMap('fm', c.ns)));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /may not be more than 128/);
  },
  watch: async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(configMap('w', c.ns)));
    const w = startKubectl(c.kc, ['get', 'configmap', 'w', '-n', c.ns, '-w', '--output-watch-events', '-o', 'json'], 15_000, c.bin);
    try {
      await waitFor('ADDED', () => /"type":\s*"ADDED"/.test(w.output()));
      await c.ok(['patch', 'configmap', 'w', '-n', c.ns, '--type=merge', '-p', '{"data":{"k":"v2"}}']);
      await waitFor('MODIFIED', () => /"type":\s*"MODIFIED"/.test(w.output()));
    } finally {
      w.stop();
    }
  },
  'list-chunks': async (c) => {
    for (let i = 0; i < 5; i++) await c.ok(['create', 'configmap', `chunk-${i}`, '-n', c.ns]);
    const names = (await c.ok(['get', 'configmaps', '-n', c.ns, '--chunk-size=2', '-o', 'name'])).trim().split('\n').filter((n) => n.includes('chunk-'));
    assert.deepEqual(names, [0, 1, 2, 3, 4].map((i) => `configmap/chunk-${i}`));
  },
  'list-exact': async (c) => {
    const first = JSON.parse(await c.ok(['get', '--raw', `/api/v1/namespaces/${c.ns}/configmaps`]));
    await c.ok(['create', 'configmap', 'later', '-n', c.ns]);
    const out = await c.ok(['get', '--raw', `/api/v1/namespaces/${c.ns}/configmaps?resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=Exact`]);
    const names = JSON.parse(out).items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.equal(names.length, first.items.length);
    assert.ok(!names.includes('later'));
  },
  pretty: async (c) => {
    const out = await c.ok(['get', '--raw', `/api/v1/namespaces/${c.ns}?pretty=true`]);
    assert.match(out, /^\{\n {2}"/);
  },
  patch: async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(configMap('lab', c.ns)));
    await c.ok(['patch', 'configmap', 'lab', '-n', c.ns, '--type=merge', '-p', '{"metadata":{"labels":{"tier":"gold"}}}']);
    assert.equal((await getJson(c, ['configmap', 'lab'])).metadata.labels.tier, 'gold');
  },
  logs: async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(runningPod('talker', c.ns, ['hello', 'from the mock'])));
    await waitFor('talker Running', async () => (await getJson(c, ['pod', 'talker'])).status.phase === 'Running');
    assert.equal(await c.ok(['logs', 'talker', '-n', c.ns]), 'hello\nfrom the mock\n');
  },
  'custom-objects': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml({ apiVersion: 'conformance.racerig.dev/v1', kind: 'Widget', metadata: { name: 'w1', namespace: c.ns }, spec: { size: 3 } }));
    const list = await getJson(c, ['widgets']);
    assert.deepEqual(list.items.map((i: { spec: { size: number } }) => i.spec.size), [3]);
  },
  apply: async (c) => {
    assert.match(await c.ok(['apply', '-f', '-'], yaml(configMap('twice', c.ns))), /configmap\/twice created/);
    assert.match(await c.ok(['apply', '-f', '-'], yaml(configMap('twice', c.ns))), /configmap\/twice unchanged/);
  },
  explain: async (c) => {
    const image = await c.ok(['explain', 'pod.spec.containers.image']);
    assert.match(image, /FIELD:\s+image\s+<string>/);
    assert.match(image, /Container image name/);
    const spec = await c.ok(['explain', 'deployment.spec']);
    assert.match(spec, /GROUP:\s+apps/);
    assert.match(spec, /replicas\s+<integer>/);
  },
  rollout: async (c) => {
    await c.ok(['create', 'deployment', 'web', '-n', c.ns, '--image=nginx:1', '--replicas=2']);
    assert.match(await c.ok(['rollout', 'status', 'deployment/web', '-n', c.ns, '--timeout=20s']), /successfully rolled out/);
    await c.ok(['set', 'image', 'deployment/web', '-n', c.ns, 'nginx=nginx:2']);
    assert.match(await c.ok(['rollout', 'status', 'deployment/web', '-n', c.ns, '--timeout=20s']), /successfully rolled out/);
    const history = await c.ok(['rollout', 'history', 'deployment/web', '-n', c.ns]);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
    await c.ok(['rollout', 'undo', 'deployment/web', '-n', c.ns]);
    assert.match(await c.ok(['rollout', 'status', 'deployment/web', '-n', c.ns, '--timeout=20s']), /successfully rolled out/);
    assert.equal((await getJson(c, ['deployment', 'web'])).spec.template.spec.containers[0].image, 'nginx:1');
    await c.ok(['scale', 'deployment/web', '-n', c.ns, '--replicas=3']);
    await waitFor('3 available', async () => (await getJson(c, ['deployment', 'web'])).status.availableReplicas === 3, 10_000);
    const rs = await getJson(c, ['replicasets', '-l', 'app=web']);
    assert.equal(rs.items.length, 2);
  },
  job: async (c) => {
    await c.ok(['create', 'job', 'once', '-n', c.ns, '--image=busybox']);
    await c.ok(['wait', '--for=condition=complete', 'job/once', '-n', c.ns, '--timeout=20s']);
    assert.equal((await getJson(c, ['job', 'once'])).status.succeeded, 1);
  },
  'job-indexed': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'idx', namespace: c.ns },
      spec: { completions: 3, parallelism: 3, completionMode: 'Indexed', template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } },
    }));
    await c.ok(['wait', '--for=condition=complete', 'job/idx', '-n', c.ns, '--timeout=20s']);
    assert.equal((await getJson(c, ['job', 'idx'])).status.completedIndexes, '0-2');
    const pods = await getJson(c, ['pods', '-l', 'job-name=idx']);
    assert.deepEqual(pods.items.map((p: any) => p.metadata.labels['batch.kubernetes.io/job-completion-index']).sort(), ['0', '1', '2']);
  },
  statefulset: async (c) => {
    await c.ok(['apply', '-f', '-'], yaml({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: c.ns },
      spec: { serviceName: 'db', replicas: 2, selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'main', image: 'postgres:1' }] } } },
    }));
    assert.equal((await c.ok(['get', 'statefulsets', '-n', c.ns, '-o', 'name'])).trim(), 'statefulset.apps/db');
    assert.match(await c.ok(['rollout', 'status', 'statefulset/db', '-n', c.ns, '--timeout=20s']), /roll(ing update|out) complete|partitioned roll out complete|statefulset rolling update complete/);
    assert.equal((await c.ok(['get', 'pods', '-n', c.ns, '-l', 'app=db', '-o', 'name'])).trim(), 'pod/db-0\npod/db-1');
    await c.ok(['set', 'image', 'statefulset/db', '-n', c.ns, 'main=postgres:2']);
    assert.match(await c.ok(['rollout', 'status', 'statefulset/db', '-n', c.ns, '--timeout=20s']), /complete/);
    const pods = await getJson(c, ['pods', '-l', 'app=db']);
    assert.deepEqual(pods.items.filter((p: any) => !p.metadata.deletionTimestamp).map((p: any) => p.spec.containers[0].image), ['postgres:2', 'postgres:2']);
  },
  'wide-columns': async (c) => {
    await c.ok(['create', 'deployment', 'cols', '-n', c.ns, '--image=nginx:1']);
    await c.ok(['create', 'service', 'clusterip', 'cols', '-n', c.ns, '--tcp=80:8080']);
    await c.ok(['create', 'secret', 'generic', 'cols', '-n', c.ns, '--from-literal=a=b']);
    await c.ok(['create', 'job', 'cols', '-n', c.ns, '--image=busybox']);
    const header = async (what: string) => (await c.ok(['get', what, '-n', c.ns, '-o', 'wide'])).split('\n')[0]!.trim().split(/\s{2,}/);
    assert.deepEqual(await header('services'), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
    assert.deepEqual(await header('deployments'), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.deepEqual(await header('replicasets'), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.deepEqual(await header('secrets'), ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.deepEqual(await header('jobs'), ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.match(await c.ok(['get', 'service', 'cols', '-n', c.ns]), /cols\s+ClusterIP\s+\d+\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP/);
  },
  'auth-whoami': async (c) => {
    const out = await c.ok(['auth', 'whoami']);
    assert.match(out, /Username\s+racerig-admin/);
    assert.match(out, /system:masters/);
  },
  'auth-can-i-list': async (c) => {
    assert.match(await c.ok(['auth', 'can-i', '--list', '-n', c.ns]), /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/m);
  },
  'create-token': async (c) => {
    const token = (await c.ok(['create', 'token', 'default', '-n', c.ns])).trim();
    const r = await json(c.url, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, { Authorization: `Bearer ${token}` });
    assert.equal(r.body.status.userInfo.username, `system:serviceaccount:${c.ns}:default`);
  },
  'pod-events': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(runningPod('evented', c.ns, ['x'])));
    await waitFor('evented Running', async () => (await getJson(c, ['pod', 'evented'])).status.phase === 'Running');
    await c.ok(['delete', 'pod', 'evented', '-n', c.ns, '--wait=false']);
    const reasons = await waitFor('Killing', async () => {
      const out = await c.ok(['get', 'events', '-n', c.ns, '--field-selector', 'involvedObject.name=evented', '-o', 'jsonpath={.items[*].reason}']);
      return out.includes('Killing') ? out.split(' ') : undefined;
    });
    assert.deepEqual(reasons, ['Scheduled', 'Pulled', 'Created', 'Started', 'Killing']);
  },
  cp: async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(runningPod('box', c.ns, ['x'])));
    await waitFor('box Running', async () => (await getJson(c, ['pod', 'box'])).status.phase === 'Running');
    const dir = mkdtempSync(join(tmpdir(), 'racerig-cp-'));
    try {
      const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13, ...Buffer.from('binary')]);
      writeFileSync(join(dir, 'a.bin'), bytes);
      mkdirSync(join(dir, 'tree', 'sub'), { recursive: true });
      writeFileSync(join(dir, 'tree', 'sub', 'n.txt'), 'nested\n');
      await c.ok(['cp', join(dir, 'a.bin'), `${c.ns}/box:/tmp/a.bin`]);
      await c.ok(['cp', `${c.ns}/box:/tmp/a.bin`, join(dir, 'back.bin')]);
      assert.deepEqual(readFileSync(join(dir, 'back.bin')), bytes);
      await c.ok(['cp', join(dir, 'tree'), `${c.ns}/box:/tmp/tree`]);
      await c.ok(['cp', `${c.ns}/box:/tmp/tree`, join(dir, 'tree-back')]);
      assert.equal(readFileSync(join(dir, 'tree-back', 'sub', 'n.txt'), 'utf8'), 'nested\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  'namespace-finalizers': async (c) => {
    const ns = `${c.ns}-fin`;
    await c.ok(['create', 'namespace', ns]);
    await c.ok(['apply', '-f', '-'], yaml({ ...configMap('held', ns), metadata: { name: 'held', namespace: ns, finalizers: ['conformance.racerig.dev/hold'] } }));
    await c.ok(['delete', 'namespace', ns, '--wait=false']);
    const terminating = await waitFor('NamespaceFinalizersRemaining', async () => {
      const o = JSON.parse(await c.ok(['get', 'namespace', ns, '-o', 'json']));
      return o.status.conditions?.some((x: { type: string; status: string }) => x.type === 'NamespaceFinalizersRemaining' && x.status === 'True') ? o : undefined;
    });
    assert.equal(terminating.status.phase, 'Terminating');
    assert.match(JSON.stringify(terminating.status.conditions), /conformance.racerig.dev\/hold in 1 resource instances/);
    await c.ok(['patch', 'configmap', 'held', '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await waitFor('namespace gone', async () => (await c.k(['get', 'namespace', ns])).code !== 0);
  },
  'secret-string-data': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sd', namespace: c.ns }, stringData: { password: 's3cret' } }));
    const s = await getJson(c, ['secret', 'sd']);
    assert.equal(s.data.password, Buffer.from('s3cret').toString('base64'));
    assert.equal(s.stringData, undefined);
  },
  'service-defaults': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: c.ns }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } }));
    const s = await getJson(c, ['service', 'svc']);
    assert.equal(s.spec.type, 'ClusterIP');
    assert.equal(s.spec.sessionAffinity, 'None');
    assert.match(s.spec.clusterIP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(s.spec.ports[0].targetPort, 80);
  },
  'pod-immutable': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml(runningPod('imm', c.ns, ['x'])));
    await c.ok(['set', 'image', 'pod/imm', '-n', c.ns, 'main=busybox:2']);
    assert.equal((await getJson(c, ['pod', 'imm'])).spec.containers[0].image, 'busybox:2');
    const r = await c.k(['patch', 'pod', 'imm', '-n', c.ns, '-p', '{"spec":{"containers":[{"name":"extra","image":"busybox"}]}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pod updates may not change fields other than/);
  },
  'no-new-finalizers': async (c) => {
    await c.ok(['apply', '-f', '-'], yaml({ ...configMap('dying', c.ns), metadata: { name: 'dying', namespace: c.ns, finalizers: ['conformance.racerig.dev/a'] } }));
    await c.ok(['delete', 'configmap', 'dying', '-n', c.ns, '--wait=false']);
    const r = await c.k(['patch', 'configmap', 'dying', '-n', c.ns, '--type=merge', '-p', '{"metadata":{"finalizers":["conformance.racerig.dev/a","conformance.racerig.dev/b"]}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no new finalizers can be added if the object is being deleted/);
    await c.ok(['patch', 'configmap', 'dying', '-n', c.ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  },
};

for (const v of versions) {
  describe(v.label, () => {
    const ns = `k-${v.label.replace(/\D+/g, '-').replace(/^-|-$/g, '')}`;
    const board = new Scoreboard(v.label);
    let c: Ctx;
    before(async () => {
      const k = (args: string[], stdin?: string) => kubectl(fx.kc, args, { bin: v.bin, stdin, timeoutMs: 20_000 });
      c = {
        k,
        ok: async (args, stdin) => {
          const r = await k(args, stdin);
          assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
          return r.stdout;
        },
        ns,
        url: fx.url,
        kc: fx.kc,
        bin: v.bin,
      };
      const r = await json(fx.url, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
      assert.equal(r.status, 201);
    });
    after(() => board.print());
    for (const check of checksFor('k')) {
      const fn = CHECKS[check.id];
      test(`${check.id}: ${check.does} → ${check.promise}`, async () => {
        assert.ok(fn, `no kubectl implementation of ${check.id}`);
        await board.run(() => fn(c));
      });
    }
  });
}
