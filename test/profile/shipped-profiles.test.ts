import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadProfile } from '../../src/profile/loader.js';
import { listShippedProfiles, SHIPPED_PROFILES_DIR } from '../../src/profile/shipped.js';
import { profileJsonSchema } from '../../src/profile/schema.js';
import { smokeProfile, SMOKE_LIMITS } from '../../src/profile/smoke.js';
import type { Profile } from '../../src/profile/types.js';
import type { ResourceRef } from '../../src/profile/resource-ref.js';
import { ResourceRegistry } from '../../src/mock/resources.js';
import { main } from '../../src/cli/main.js';
import { captureContext } from '../../src/cli/context.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const EXPECTED = ['argo-daemon-churn', 'argo-many-workflows', 'argo-multi-component', 'argo-pod-cleanup', 'argo-race', 'list-storm', 'smoke', 'update-conflicts', 'watch-fanout'];

function resourcesOf(p: Profile): ResourceRef[] {
  return [
    ...p.setup.map((s) => s.resource),
    ...p.measure.map((m) => m.resource),
    ...p.phases.flatMap((ph) => ph.components.flatMap((c) => c.steps.flatMap((s) => ('resource' in s ? [s.resource] : [])))),
  ];
}

test('the shipped profiles folder is the repository profiles/ folder and holds every expected profile', () => {
  assert.equal(SHIPPED_PROFILES_DIR.replace(/\/$/, ''), join(root, 'profiles'));
  assert.deepEqual(listShippedProfiles().map((p) => p.name), EXPECTED);
});

test('every shipped profile validates, says whether it drives or emulates, and uses only resources the mock serves', async () => {
  const served = new ResourceRegistry().all();
  for (const { name, file } of listShippedProfiles()) {
    const p = await loadProfile(file);
    assert.equal(p.name, name, `${file}: name matches the file name`);
    assert.match(p.description, /\b(drives|emulates)\b/i, `${name}: description says drives or emulates`);
    assert.match(p.source.sha256, /^[0-9a-f]{64}$/);
    assert.ok(p.operations.length > 0, name);
    for (const r of resourcesOf(p)) {
      const info = served.find((i) => i.resource === r.resource && i.group === r.group && (r.version === undefined || i.version === r.version));
      assert.ok(info, `${name}: the mock serves ${r.resource}.${r.group}`);
      if (r.subresource) assert.ok(info.subresources.includes(r.subresource), `${name}: the mock serves ${r.resource}/${r.subresource}`);
    }
    for (const t of p.thresholds) if (t.operation) assert.ok(p.operations.includes(t.operation) || p.measure.some((m) => m.name === t.operation), `${name}: ${t.source}`);
  }
});

test('argo-multi-component runs its controller components at once in one phase of about 30 s', async () => {
  const p = await loadProfile(join(root, 'profiles/argo-multi-component.yaml'));
  assert.equal(p.phases.length, 1);
  assert.equal(p.phases[0]!.durationMs, 30_000);
  const kinds = new Set(p.phases[0]!.components.flatMap((c) => c.steps.map((s) => s.kind)));
  for (const k of ['list', 'watch', 'event', 'create', 'update', 'delete', 'exec'] as const) assert.ok(kinds.has(k), k);
  // Like the controller's clientset: one 20 qps / 30 burst bucket shared by every component (cmd/workflow-controller/main.go).
  assert.deepEqual(p.clients, { controller: { qps: 20, burst: 30 } });
  for (const c of p.phases[0]!.components) assert.equal(c.client?.name, 'controller', c.name);
  assert.ok(p.phases[0]!.components.filter((c) => c.name.endsWith('-informer')).length >= 9, 'about ten informers');
  // The lease: an optimistic PUT, then the 5 s RetryPeriod.
  const lease = p.phases[0]!.components.find((c) => c.name === 'leader-election')!;
  assert.deepEqual(lease.load, { kind: 'concurrency', workers: 1 });
  assert.deepEqual(lease.steps.map((s) => (s.kind === 'update' ? `update optimistic=${s.optimistic}` : s.kind === 'sleep' ? `sleep ${s.durationMs}` : s.kind)), ['update optimistic=true', 'sleep 5000']);
});

test('smokeProfile shortens every shipped profile within the smoke limits', async () => {
  for (const { file } of listShippedProfiles()) {
    const p = smokeProfile(await loadProfile(file));
    assert.equal(p.smoke, true);
    for (const ph of p.phases) {
      assert.ok(ph.durationMs! <= SMOKE_LIMITS.phaseMs, `${p.name}/${ph.name}`);
      for (const c of ph.components) {
        assert.ok(c.iterations! <= SMOKE_LIMITS.iterations);
        if (c.load.kind === 'rate') assert.ok(c.load.perSecond <= SMOKE_LIMITS.rate);
        if (c.load.kind === 'concurrency') assert.ok(c.load.workers <= SMOKE_LIMITS.concurrency);
        for (const s of c.steps) if (s.kind === 'watch') assert.ok(s.count <= SMOKE_LIMITS.watches);
      }
    }
  }
});

test('profiles/schema.json is in sync with the schema (regenerate: racerig profiles schema > profiles/schema.json)', async () => {
  const committed: unknown = JSON.parse(readFileSync(join(root, 'profiles/schema.json'), 'utf8'));
  assert.deepEqual(committed, profileJsonSchema());
  const ctx = captureContext({ cwd: root });
  assert.equal(await main(['profiles', 'schema'], ctx), 0);
  assert.equal(ctx.out(), readFileSync(join(root, 'profiles/schema.json'), 'utf8'));
});

test('racerig profiles list, show and validate work on the shipped profiles', async () => {
  const list = captureContext({ cwd: root });
  assert.equal(await main(['profiles', 'list'], list), 0);
  for (const name of EXPECTED) assert.match(list.out(), new RegExp(`^${name} `, 'm'));
  const show = captureContext({ cwd: root });
  assert.equal(await main(['profiles', 'show', 'argo-pod-cleanup'], show), 0);
  assert.match(show.out(), /component cleanup: 5\/s/);
  assert.match(show.out(), /exec SIGKILL  after 30.00s  \(background\)/);
  const json = captureContext({ cwd: root });
  assert.equal(await main(['profiles', 'show', '--json', '--smoke', 'smoke'], json), 0);
  assert.equal((JSON.parse(json.out()) as Profile).smoke, true);
  const validate = captureContext({ cwd: root });
  assert.equal(await main(['profiles', 'validate', ...EXPECTED], validate), 0, validate.err());
  assert.equal(validate.out().split('\n').filter((l) => l.startsWith('OK ')).length, EXPECTED.length);
});
