import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfile } from '../../profile/loader.js';
import { compileValueTemplate } from '../../profile/value-template.js';
import type { CreateStep } from '../../profile/types.js';
import { fillSentAt, stampManifest, withSentAtPlaceholder } from './sent-at.js';

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
