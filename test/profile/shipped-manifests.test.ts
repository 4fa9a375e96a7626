import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProfile } from '../../src/profile/loader.js';
import { listShippedProfiles } from '../../src/profile/shipped.js';
import { compileTemplates } from '../../src/profile/compile.js';
import type { TemplateScope } from '../../src/profile/template.js';
import type { ResourceRef } from '../../src/profile/resource-ref.js';
import { RUN_LABEL } from '../../src/profile/types.js';
import { ResourceRegistry } from '../../src/mock/resources.js';
import { startMockServer } from '../../src/mock/server.js';
import { BUILTIN_COMMANDS } from '../../src/mock/exec-commands.js';

const registry = new ResourceRegistry();

function collectionPath(ref: ResourceRef, namespace: string): string {
  const info = registry.all().find((i) => i.resource === ref.resource && i.group === ref.group && (!ref.version || i.version === ref.version));
  assert.ok(info, `${ref.resource}.${ref.group} is served`);
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  return `${base}${info.namespaced ? `/namespaces/${namespace}` : ''}/${info.resource}`;
}

async function post(url: string, body: string): Promise<{ status: number; obj: { metadata?: { name?: string; labels?: Record<string, string> } } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body });
  return { status: res.status, obj: (await res.json()) as never };
}

test('the embedded mock accepts every setup object and every created manifest of the shipped profiles, rendered, with the run label', async () => {
  for (const { file } of listShippedProfiles()) {
    const profile = await loadProfile(file);
    const mock = await startMockServer({ ...profile.mock, lifecycle: { disabled: true } });
    try {
      const ns = profile.target.namespace;
      if (profile.target.createNamespace) {
        const created = await post(`${mock.url}/api/v1/namespaces`, JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
        assert.equal(created.status, 201, `${profile.name}: namespace ${ns}`);
      }
      const scope: TemplateScope = { runId: 'run-test', profile: profile.name, phase: 'setup', component: '', iteration: 0, worker: 0, namespace: ns, objects: {} };
      for (const s of profile.setup) {
        const res = await post(`${mock.url}${collectionPath(s.resource, ns)}`, compileTemplates(s.manifest)(scope));
        assert.equal(res.status, 201, `${profile.name}: setup ${JSON.stringify(res.obj)}`);
        assert.equal(res.obj.metadata?.labels?.[RUN_LABEL], 'run-test');
      }
      for (const ph of profile.phases) {
        for (const c of ph.components) {
          for (const step of c.steps) {
            if (step.kind !== 'create') continue;
            const s = { ...scope, phase: ph.name, component: c.name, iteration: 3, worker: 1 };
            const res = await post(`${mock.url}${collectionPath(step.resource, compileTemplates(step.namespace)(s))}`, compileTemplates(step.manifest)(s));
            assert.equal(res.status, 201, `${profile.name}/${c.name}: ${step.operation}: ${JSON.stringify(res.obj)}`);
            assert.equal(res.obj.metadata?.labels?.[RUN_LABEL], 'run-test');
            assert.doesNotMatch(JSON.stringify(res.obj), /\{\{/, 'every template was rendered');
          }
        }
      }
    } finally {
      await mock.close();
    }
  }
});

test('every exec step of the shipped profiles runs a command the mock containers know', async () => {
  let execs = 0;
  for (const { file } of listShippedProfiles()) {
    const profile = await loadProfile(file);
    for (const step of profile.phases.flatMap((ph) => ph.components.flatMap((c) => c.steps))) {
      if (step.kind !== 'exec') continue;
      execs++;
      const [path, arg] = step.command.map((t) => t.source);
      const cmd = path?.split('/').pop(); // /var/run/argo/argoexec runs as argoexec
      assert.ok((BUILTIN_COMMANDS as readonly string[]).some((b) => b === cmd || b === `${cmd} ${arg}`), `${profile.name}: ${step.operation}: ${cmd}`);
    }
  }
  assert.ok(execs >= 4);
});
