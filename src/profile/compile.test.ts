import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileTemplates } from './compile.js';
import { loadProfile } from './loader.js';
import type { TemplateScope } from './template.js';
import type { CreateStep, ExecStep, UpdateStep } from './types.js';

const PROFILE = `name: t
description: d
target: {namespace: work}
phases:
  - name: load
    duration: 1s
    components:
      - name: pods
        concurrency: 1
        scenario:
          - create:
              manifest:
                apiVersion: v1
                kind: Pod
                metadata: {name: "p-{{worker}}-{{iteration}}", labels: {app: x}}
                spec: {containers: [{name: main, image: busybox}]}
            as: pod
          - exec: {pod: "{{pod.name}}", command: [echo, "{{pod.metadata.uid}}"]}
          - update: {resource: pods, name: "{{pod.name}}", set: {metadata.annotations.n: "{{iteration}}"}}
`;

test('a loaded step compiles to render functions; manifests get the run label; the compiled step keeps plain fields', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-compile-'));
  try {
    writeFileSync(join(dir, 'p.yaml'), PROFILE);
    const profile = await loadProfile('p.yaml', { cwd: dir });
    assert.deepEqual(structuredClone(profile), profile, 'the profile is plain data that crosses to workers');
    const [create, exec, update] = profile.phases[0]!.components[0]!.steps as [CreateStep, ExecStep, UpdateStep];
    const scope: TemplateScope = { runId: 'run-9', profile: 't', phase: 'load', component: 'pods', iteration: 4, worker: 1, namespace: profile.target.namespace, objects: {} };
    const c = compileTemplates(create);
    assert.equal(c.operation, 'create pods');
    assert.equal(c.namespace(scope), 'work');
    assert.deepEqual(JSON.parse(c.manifest(scope)), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p-1-4', labels: { app: 'x', 'racerig.io/run': 'run-9' } },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
    });
    scope.objects.pod = { metadata: { name: 'p-1-4', uid: 'u-1' } };
    const e = compileTemplates(exec);
    assert.equal(e.pod(scope), 'p-1-4');
    assert.deepEqual(e.command.map((f) => f(scope)), ['echo', 'u-1']);
    const u = compileTemplates(update);
    assert.equal(u.set[0]!.field, 'metadata.annotations.n');
    assert.equal(u.set[0]!.value(scope), '"4"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
