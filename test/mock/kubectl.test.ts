/**
 * kubectl against the mock: the everyday commands a person runs must work unchanged.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, startKubectl, waitFor, writeTemp, startFixture, type MockFixture, NO_KUBECTL } from './helpers.js';

let fx: MockFixture;
let kc: string;

before(async () => {
  fx = await startFixture();
  ({ kc } = fx);
});

after(() => fx.close());

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: team-a
  labels: {app: web, tier: frontend}
spec:
  restartPolicy: Always
  containers:
  - name: main
    image: busybox
`;

test('kubectl: create namespace, apply a pod, get with -l and --field-selector', { skip: NO_KUBECTL }, async () => {
  const ns = await kubectl(kc, ['create', 'namespace', 'team-a']);
  assert.equal(ns.code, 0, ns.stderr);
  assert.match(ns.stdout, /namespace\/team-a created/);
  const applied = await kubectl(kc, ['apply', '-f', '-'], { stdin: POD });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /pod\/web-1 created/);
  const again = await kubectl(kc, ['apply', '-f', '-'], { stdin: POD });
  assert.match(again.stdout, /pod\/web-1 unchanged/);
  const other = await kubectl(kc, ['apply', '-f', '-'], { stdin: POD.replace('web-1', 'db-1').replace('app: web', 'app: db') });
  assert.equal(other.code, 0, other.stderr);

  const byLabel = await kubectl(kc, ['get', 'pods', '-n', 'team-a', '-l', 'app=web', '-o', 'name']);
  assert.equal(byLabel.stdout.trim(), 'pod/web-1');
  const setBased = await kubectl(kc, ['get', 'pods', '-n', 'team-a', '-l', 'app in (web,db),tier', '-o', 'name']);
  assert.deepEqual(setBased.stdout.trim().split('\n').sort(), ['pod/db-1', 'pod/web-1']);
  const notIn = await kubectl(kc, ['get', 'pods', '-A', '-l', 'app notin (web)', '-o', 'name']);
  assert.equal(notIn.stdout.trim(), 'pod/db-1');
  const byField = await kubectl(kc, ['get', 'pods', '-A', '--field-selector', 'metadata.name=db-1', '-o', 'name']);
  assert.equal(byField.stdout.trim(), 'pod/db-1');
  const table = await kubectl(kc, ['get', 'pods', '-n', 'team-a']);
  assert.match(table.stdout, /^NAME\s+READY\s+STATUS/m);
  assert.match(table.stdout, /web-1/);
  const bad = await kubectl(kc, ['get', 'pods', '-A', '--field-selector', 'spec.bogus=1']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /field label not supported: spec.bogus/);
});

test('kubectl: label, merge and strategic patch, update conflict', { skip: NO_KUBECTL }, async () => {
  const ns = await kubectl(kc, ['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-b}\n' });
  assert.equal(ns.code, 0, ns.stderr);
  const created = await kubectl(kc, ['apply', '-f', '-'], { stdin: POD.replace('team-a', 'team-b') });
  assert.equal(created.code, 0, created.stderr);
  const labelled = await kubectl(kc, ['label', 'pod', 'web-1', '-n', 'team-b', 'stage=canary']);
  assert.equal(labelled.code, 0, labelled.stderr);
  const merge = await kubectl(kc, ['patch', 'pod', 'web-1', '-n', 'team-b', '--type', 'merge', '-p', '{"metadata":{"annotations":{"note":"hi"}}}']);
  assert.equal(merge.code, 0, merge.stderr);
  // A pod's containers are immutable apart from their images, as on a real server.
  const added = await kubectl(kc, ['patch', 'pod', 'web-1', '-n', 'team-b', '-p', '{"spec":{"containers":[{"name":"sidecar","image":"envoy"}]}}']);
  assert.notEqual(added.code, 0);
  assert.match(added.stderr, /pod updates may not change fields other than/);
  const strategic = await kubectl(kc, ['patch', 'pod', 'web-1', '-n', 'team-b', '-p', '{"spec":{"containers":[{"name":"main","image":"busybox:2"}]}}']);
  assert.equal(strategic.code, 0, strategic.stderr);
  const got = JSON.parse((await kubectl(kc, ['get', 'pod', 'web-1', '-n', 'team-b', '-o', 'json'])).stdout);
  assert.equal(got.metadata.labels.stage, 'canary');
  assert.equal(got.metadata.annotations.note, 'hi');
  assert.deepEqual(got.spec.containers.map((c: { name: string; image: string }) => [c.name, c.image]), [['main', 'busybox:2']], 'strategic merge patches the container named main');

  // A stale resourceVersion is refused with 409 Conflict.
  const stale = { ...got, metadata: { ...got.metadata, labels: { ...got.metadata.labels, v: '1' } } };
  assert.equal((await kubectl(kc, ['label', 'pod', 'web-1', '-n', 'team-b', 'bump=1'])).code, 0);
  const file = writeTemp(fx.dir, 'stale.json', JSON.stringify(stale));
  const replaced = await kubectl(kc, ['replace', '-f', file]);
  assert.notEqual(replaced.code, 0);
  assert.match(replaced.stderr, /Operation cannot be fulfilled on pods "web-1": the object has been modified/);
  const existing = await kubectl(kc, ['create', '-f', file]);
  assert.match(existing.stderr, /AlreadyExists|already exists/);
});

test('kubectl: get -w sees ADDED, MODIFIED and DELETED; delete --wait returns once the pod is gone', { skip: NO_KUBECTL }, async () => {
  assert.equal((await kubectl(kc, ['apply', '-f', '-'], { stdin: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-w}\n' })).code, 0);
  assert.equal((await kubectl(kc, ['apply', '-f', '-'], { stdin: POD.replace('team-a', 'team-w') })).code, 0);
  const watch = startKubectl(kc, ['get', 'pods', '-n', 'team-w', '-w', '--output-watch-events', '-o', 'custom-columns=EVENT:.type,NAME:.metadata.name', '--no-headers'], 15000);
  try {
    const table = startKubectl(kc, ['get', 'pods', '-n', 'team-w', '-w', '--output-watch-events'], 15000);
    try {
      await waitFor('watch ADDED', () => /ADDED/.test(watch.output()) && /ADDED/.test(table.output()), 8000);
      assert.equal((await kubectl(kc, ['label', 'pod', 'web-1', '-n', 'team-w', 'seen=yes'])).code, 0);
      await waitFor('watch MODIFIED', () => /MODIFIED/.test(watch.output()), 8000);
      const del = await kubectl(kc, ['delete', 'pod', 'web-1', '-n', 'team-w', '--wait', '--timeout=10s']);
      assert.equal(del.code, 0, del.stderr);
      assert.match(del.stdout, /pod "web-1" deleted/);
      await waitFor('watch DELETED', () => /DELETED/.test(watch.output()) && /DELETED\s+web-1/.test(table.output()), 8000);
      const gone = await kubectl(kc, ['get', 'pod', 'web-1', '-n', 'team-w']);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /NotFound|not found/);
    } finally {
      table.stop();
    }
  } finally {
    watch.stop();
  }
});

test('kubectl: apply a Workflow custom resource and get workflows', { skip: NO_KUBECTL }, async () => {
  const wf = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: hello
  namespace: default
spec:
  entrypoint: main
  templates:
  - name: main
    container: {image: busybox, command: [echo, hi]}
`;
  const applied = await kubectl(kc, ['apply', '-f', '-'], { stdin: wf });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /workflow.argoproj.io\/hello created/);
  const list = await kubectl(kc, ['get', 'workflows']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /hello/);
  const short = await kubectl(kc, ['get', 'wf', 'hello', '-o', 'jsonpath={.spec.entrypoint}']);
  assert.equal(short.stdout, 'main');
  const canI = await kubectl(kc, ['auth', 'can-i', 'delete', 'workflows']);
  assert.equal(canI.stdout.trim(), 'yes', canI.stderr);
});

test('kubectl create generators (typed protobuf bodies): deployment, job, service, secret, configmap, serviceaccount', { skip: NO_KUBECTL }, async () => {
  const cmds = [
    ['create', 'deployment', 'gen-web', '--image=nginx', '--replicas=2', '--port=8080'],
    ['create', 'job', 'gen-job', '--image=busybox', '--', 'echo', 'hi'],
    ['create', 'service', 'clusterip', 'gen-svc', '--tcp=80:8080'],
    ['create', 'secret', 'generic', 'gen-secret', '--from-literal=a=b'],
    ['create', 'configmap', 'gen-cm', '--from-literal=x=y'],
    ['create', 'serviceaccount', 'gen-sa'],
  ];
  for (const c of cmds) {
    const r = await kubectl(kc, c);
    assert.equal(r.code, 0, `${c.join(' ')}: ${r.stderr}`);
  }
  const deploy = JSON.parse((await kubectl(kc, ['get', 'deployment', 'gen-web', '-o', 'json'])).stdout);
  assert.equal(deploy.spec.replicas, 2);
  assert.deepEqual(deploy.spec.selector.matchLabels, { app: 'gen-web' });
  assert.deepEqual(deploy.spec.template.spec.containers[0], { name: 'nginx', image: 'nginx', ports: [{ containerPort: 8080 }] });
  const job = JSON.parse((await kubectl(kc, ['get', 'job', 'gen-job', '-o', 'json'])).stdout);
  assert.deepEqual(job.spec.template.spec.containers[0].command, ['echo', 'hi']);
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  const svc = JSON.parse((await kubectl(kc, ['get', 'service', 'gen-svc', '-o', 'json'])).stdout);
  assert.deepEqual(svc.spec.ports[0], { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 });
  const secret = JSON.parse((await kubectl(kc, ['get', 'secret', 'gen-secret', '-o', 'json'])).stdout);
  assert.equal(Buffer.from(secret.data.a, 'base64').toString(), 'b');
  assert.equal((await kubectl(kc, ['get', 'configmap', 'gen-cm', '-o', 'jsonpath={.data.x}'])).stdout, 'y');
  const scaled = await kubectl(kc, ['scale', 'deployment/gen-web', '--replicas=5']);
  assert.equal(scaled.code, 0, scaled.stderr);
  assert.equal((await kubectl(kc, ['get', 'deployment', 'gen-web', '-o', 'jsonpath={.spec.replicas}'])).stdout, '5');
});
