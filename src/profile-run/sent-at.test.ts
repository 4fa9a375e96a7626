import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../profile/loader.js';
import { compileValueTemplate } from '../profile/value-template.js';
import type { CreateStep } from '../profile/types.js';
import { fillSentAt, readSentAt, SentAtTracker, stampManifest, stampPatch, withSentAtPlaceholder } from './sent-at.js';

test('a create manifest rendered with the sent-at placeholder equals the JSON round-trip stamp, templates in place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'racerig-sentat-'));
  try {
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      [
        'name: t',
        'description: d',
        'phases:',
        '  - name: p',
        '    duration: 1s',
        '    components:',
        '      - name: c',
        '        concurrency: 1',
        '        scenario:',
        '          - create:',
        '              manifest:',
        '                apiVersion: v1',
        '                kind: ConfigMap',
        '                metadata: {name: "cm-{{worker}}-{{iteration}}", annotations: {note: "it {{iteration}}", fixed: "a\\"b"}}',
        '                data: {w: "{{worker}}", fixed: "x"}',
        '',
      ].join('\n'),
    );
    const profile = await loadProfile(file, { cwd: dir, smoke: false });
    const step = profile.phases[0]!.components[0]!.steps[0] as CreateStep;
    const placeholder = withSentAtPlaceholder(step.manifest)!;
    assert.ok(placeholder, 'the manifest takes a placeholder');
    const scope = { runId: 'r1', profile: 't', phase: 'p', component: 'c', iteration: 7, worker: 1, namespace: 'default', objects: {} };
    const before = Date.now();
    const viaPlaceholder = JSON.parse(fillSentAt(compileValueTemplate(placeholder)(scope))!) as { metadata: { annotations: Record<string, string> } };
    const viaRoundTrip = JSON.parse(stampManifest(compileValueTemplate(step.manifest)(scope))) as { metadata: { annotations: Record<string, string> } };
    const stamp = Number(viaPlaceholder.metadata.annotations['racerig.io/sent-at']);
    assert.ok(stamp >= before - 1 && stamp <= Date.now() + 1, `stamp ${stamp}`);
    viaPlaceholder.metadata.annotations['racerig.io/sent-at'] = viaRoundTrip.metadata.annotations['racerig.io/sent-at']!;
    assert.deepEqual(viaPlaceholder, viaRoundTrip);
    assert.equal(viaRoundTrip.metadata.annotations.note, 'it 7');
    assert.equal(fillSentAt('{"a":1}'), undefined, 'no placeholder: the caller stamps the JSON itself');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('stampPatch stamps merge patch objects (filling a placeholder first) and leaves other bodies alone; readSentAt reads the stamp back', () => {
  const before = Date.now();
  const stamped = JSON.parse(stampPatch('{"data":{"a":"1"}}')) as { metadata: { annotations: Record<string, string> } };
  const at = readSentAt(stamped)!;
  assert.ok(at >= before - 1 && at <= Date.now() + 1, `stamp ${at}`);
  assert.equal(stampPatch('[{"op":"add"}]'), '[{"op":"add"}]');
  assert.equal(stampPatch('{"metadata":null}'), '{"metadata":null}');
  assert.equal(readSentAt({ metadata: { annotations: { 'racerig.io/sent-at': 'x' } } }), undefined);
  assert.equal(readSentAt({}), undefined);
});

test('SentAtTracker times a stamp once, only when it is newer than the watch and changed since the object\'s previous event', () => {
  const t = new SentAtTracker(1000);
  const obj = (stamp: string | undefined, uid = 'u1') => ({ metadata: { uid, ...(stamp ? { annotations: { 'racerig.io/sent-at': stamp } } : {}) } });
  assert.equal(t.causedAt('ADDED', obj('900', 'old'), false), undefined, 'stamped before the watch started');
  assert.equal(t.causedAt('ADDED', obj('1500'), true), undefined, 'a list item only records its stamp');
  assert.equal(t.causedAt('MODIFIED', obj('1500'), false), undefined, 'a change that kept the stamp is not timed');
  assert.equal(t.causedAt('MODIFIED', obj('1600'), false), 1600);
  assert.equal(t.causedAt('MODIFIED', obj(undefined), false), undefined);
  assert.equal(t.causedAt('DELETED', obj('1600'), false), undefined);
  assert.equal(t.causedAt('ADDED', obj('1600'), false), 1600, 'after DELETED the same stamp on a new object counts again');
});
