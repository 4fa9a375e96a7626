import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWithStepFailure, startBench } from './harness.js';

const POD = `
          - create:
              manifest: {apiVersion: v1, kind: Pod, metadata: {name: "x-{{iteration}}"}, spec: {containers: [{name: main, image: x}]}}
          - wait: {resource: pods, name: "x-{{iteration}}", until: {field: status.phase, equals: Running}, timeout: 5s}`;

test('exec: runs the command over pods/exec (101) and checks its exit code; another exit code, or an exec that cannot start, fails the step', async () => {
  const b = await startBench();
  try {
    const ok = await b.steps(`${POD}
          - exec: {pod: "x-{{iteration}}", container: main, command: [sh, -c, "exit 3"], expectExitCode: 3}`);
    await b.run(ok, 1);
    const execs = () => b.sent.filter((s) => s.path.includes('/exec?'));
    assert.equal(execs().length, 1);
    assert.equal(execs()[0]!.status, 101);
    assert.ok(execs()[0]!.path.includes('container=main') && execs()[0]!.path.includes('command=sh'), execs()[0]!.path);
    const wrongCode = await b.steps(`
          - exec: {pod: "x-1", command: ["false"]}`);
    await rejectsWithStepFailure(b.run(wrongCode), /: exit 1$/);
    const noPod = await b.steps(`
          - exec: {pod: missing, command: ["true"], timeout: 5s}`);
    await rejectsWithStepFailure(b.run(noPod), /./);
  } finally {
    await b.close();
  }
});
