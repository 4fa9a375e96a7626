/**
 * The step features the Argo profiles need, each run end to end against the embedded mock: events that PATCH on
 * repeats, background steps with a delay, exec into every running container but some, optimistic updates, and a
 * named client whose bucket several components share (execs bypassing it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';
import type { RunResult } from '../../src/results/model.js';

async function run(profile: string): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-steps-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, profile);
  const out = join(dir, 'r.json');
  const ctx = captureContext({ cwd: dir });
  const code = await main(['run', file, '-q', '-o', out, '-w', '1'], ctx);
  const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  assert.equal(code, 0, `${ctx.err()} ${JSON.stringify(result.iterations)}`);
  return result;
}

const op = (r: RunResult, name: string) => {
  const o = r.operations.find((x) => x.name === name);
  assert.ok(o, `operation ${name} in ${r.operations.map((x) => x.name).join(', ')}`);
  return o;
};

const POD = `
          - create:
              manifest:
                apiVersion: v1
                kind: Pod
                metadata: {generateName: p-, annotations: {racerig.dev/run-duration-ms: "60000"}}
                spec:
                  restartPolicy: Never
                  containers: [{name: main, image: x}, {name: a, image: x}, {name: b, image: x}]
            as: pod
          - wait: {resource: pods, name: "{{pod.name}}", until: {field: status.phase, equals: Running}}
            as: running`;

test('event: the first occurrence is POSTed, repeats in the worker are PATCHed (count, lastTimestamp)', async () => {
  const r = await run(`
name: events
description: emulates nothing
phases:
  - name: p
    iterations: 4
    components:
      - name: e
        concurrency: 1
        scenario:
          - event:
              involvedObject: {apiVersion: argoproj.io/v1alpha1, kind: Workflow, name: wf}
              reason: WorkflowNodeRunning
              message: "node {{random.int 0 0}}"
`);
  assert.deepEqual(op(r, 'record events').status, { '201': 1, '200': 3 });
});

test('background steps with a delay do not hold the iteration; the worker runs them before the phase closes', async () => {
  const r = await run(`
name: background
description: emulates nothing
phases:
  - name: p
    iterations: 2
    components:
      - name: c
        concurrency: 1
        scenario:
          - create:
              manifest: {apiVersion: v1, kind: ConfigMap, metadata: {generateName: cm-}}
            as: cm
          - delete: {resource: configmaps, name: "{{cm.name}}"}
            delay: 300ms
            background: true
          - get: {resource: configmaps, name: "{{cm.name}}"}
`);
  // Had the delete held the iteration, the GET after it would have found nothing (404 fails the iteration).
  assert.deepEqual(op(r, 'get configmaps').status, { '200': 2 });
  assert.deepEqual(op(r, 'delete configmaps').status, { '200': 2 });
  assert.deepEqual(r.iterations?.failures, {});
});

test('exec containers: {allExcept} execs into every running container but those, one after another', async () => {
  const r = await run(`
name: allexcept
description: emulates nothing
phases:
  - name: p
    iterations: 2
    components:
      - name: c
        concurrency: 1
        scenario:${POD}
          - exec: {pod: "{{pod.name}}", containers: {allExcept: [main], from: running}, command: [/var/run/argo/argoexec, kill, "15", "1"]}
            operation: sigterm
          - exec: {pod: "{{pod.name}}", containers: {allExcept: [main]}, command: [kill, "-9", "1"]}
            operation: sigkill
`);
  // a and b got SIGTERM (2 pods × 2 execs); the SIGKILL round read the pod (GET) and found only main running: no exec.
  assert.deepEqual(op(r, 'sigterm').status, { '101': 4 });
  assert.deepEqual(op(r, 'sigkill').status, { '200': 2 });
});

test('update optimistic PUTs the copy it last wrote: one GET, then PUTs only', async () => {
  const r = await run(`
name: optimistic
description: emulates nothing
setup:
  - {apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: {name: l}, spec: {holderIdentity: me}}
phases:
  - name: p
    iterations: 4
    components:
      - name: c
        concurrency: 1
        scenario:
          - update: {resource: leases.coordination.k8s.io, name: l, set: {spec.renewTime: "{{now}}"}, optimistic: true}
`);
  assert.deepEqual(op(r, 'update leases').status, { '200': 5 }, 'GET+PUT, then three PUTs');
});

test('a named client is one bucket for every component naming it; execs bypass it', async () => {
  const r = await run(`
name: clients
description: emulates nothing
clients:
  shared: {qps: 10, burst: 1}
phases:
  - name: p
    iterations: 6
    components:
      - name: a
        client: shared
        concurrency: 1
        scenario:
          - get: {resource: namespaces, name: default}
          - get: {resource: namespaces, name: default}
          - get: {resource: namespaces, name: default}
      - name: b
        client: shared
        concurrency: 1
        scenario:${POD}
          - exec: {pod: "{{pod.name}}", container: a, command: ["true"]}
`);
  const waits = op(r, 'ratelimit wait client shared');
  // a: 18 GETs; b: 6 creates and 6 waits (each a GET, plus a watch when not yet running); no exec takes a token.
  const limited = op(r, 'get namespaces').requests + op(r, 'create pods').requests + op(r, 'wait pods').requests;
  assert.equal(waits.requests, limited);
  assert.ok(limited >= 30);
  assert.equal(op(r, 'exec pods').requests, 6);
  // One shared 10/s bucket with burst 1 spaces its ≥ 30 tokens 100 ms apart: ≥ 2.9 s (a bucket per component: about 1.8 s).
  assert.ok(r.durationSeconds >= 2.8, `duration ${r.durationSeconds} s`);
});
