/**
 * pods/exec and pods/attach over SPDY/3.1 with real kubectl clients that speak SPDY by default:
 * kubectl 1.27, 1.28 and 1.29 beside the kubectl on PATH (`kubectl.1.27` …), and any extra
 * binaries listed in RACERIG_TEST_KUBECTLS (colon-separated paths, e.g. Debian's kubernetes-client
 * 1.20 unpacked somewhere). A missing binary is skipped with the reason printed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { json, kubectl, podManifest, startKubectl, waitFor, startFixture, type MockFixture } from './helpers.js';

let fx: MockFixture;
let url: string;
let kc: string;

function kubectlDir(): string | undefined {
  try {
    const onPath = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
    return onPath ? dirname(realpathSync(onPath)) : undefined;
  } catch {
    return undefined;
  }
}

const dir = kubectlDir();
const CANDIDATES: Array<{ label: string; bin: string | undefined }> = [
  { label: 'kubectl 1.27', bin: dir && join(dir, 'kubectl.1.27') },
  { label: 'kubectl 1.28', bin: dir && join(dir, 'kubectl.1.28') },
  { label: 'kubectl 1.29', bin: dir && join(dir, 'kubectl.1.29') },
  ...(process.env.RACERIG_TEST_KUBECTLS ?? '').split(':').filter(Boolean).map((bin) => ({ label: bin, bin })),
];

async function createRunningPod(name: string, restartPolicy = 'Never'): Promise<void> {
  const created = await json(url, 'POST', '/api/v1/namespaces/default/pods', podManifest(name, 'default', {}, { restartPolicy }));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await waitFor(`${name} Running`, async () => (await json(url, 'GET', `/api/v1/namespaces/default/pods/${name}`)).body.status?.phase === 'Running');
}

before(async () => {
  fx = await startFixture({ lifecycle: { podStartDelayMs: 0, podRunDurationMs: 600_000, jitter: 0 } });
  ({ url, kc } = fx);
  await createRunningPod('shell', 'Always');
});

after(() => fx.close());

for (const [i, { label, bin }] of CANDIDATES.entries()) {
  const missing = !bin ? 'no kubectl on PATH to find it beside' : !existsSync(bin) ? `${bin} not found` : undefined;
  if (missing) console.log(`# skipping ${label}: ${missing}`);

  test(`${label}: exec over SPDY/3.1: echo, exit codes, stdin, kill 1, a missing pod`, { skip: missing }, async () => {
    const run = (args: string[], stdin?: string) => kubectl(kc, args, { bin, stdin });
    const hi = await run(['-v=8', 'exec', 'shell', '--', 'echo', 'hi']);
    assert.equal(hi.code, 0, hi.stderr);
    assert.equal(hi.stdout, 'hi\n');
    assert.match(hi.stderr, /Response Status: 101 Switching Protocols/);
    assert.match(hi.stderr, /Upgrade: SPDY\/3\.1/, 'the client upgraded to SPDY, not WebSocket');
    assert.match(hi.stderr, /X-Stream-Protocol-Version: v4\.channel\.k8s\.io/);

    const three = await run(['exec', 'shell', '--', 'sh', '-c', 'exit 3']);
    assert.equal(three.code, 3, three.stderr);
    assert.match(three.stderr, /command terminated with exit code 3/);

    const cat = await run(['exec', '-i', 'shell', '--', 'cat'], 'piped\nlines\n');
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'piped\nlines\n');

    const both = await run(['exec', 'shell', '--', 'sh', '-c', 'echo out; kill -s BOGUS 1; exit 0']);
    assert.equal(both.stdout, 'out\n');
    assert.match(both.stderr, /kill: invalid signal specification BOGUS/, 'stderr arrives on its own stream');

    const victim = `victim-${i}`;
    await createRunningPod(victim);
    const kill = await run(['exec', victim, '--', 'kill', '-15', '1']);
    assert.equal(kill.code, 0, kill.stderr);
    const pod = await waitFor(`${victim} Failed`, async () => {
      const p = (await json(url, 'GET', `/api/v1/namespaces/default/pods/${victim}`)).body;
      return p.status.phase === 'Failed' ? p : undefined;
    });
    assert.equal(pod.status.containerStatuses[0].state.terminated.exitCode, 143);
    const notRunning = await run(['exec', victim, '--', 'echo', 'x']);
    assert.notEqual(notRunning.code, 0);

    const missingPod = await run(['exec', 'ghost', '--', 'echo', 'x']);
    assert.notEqual(missingPod.code, 0);
    assert.match(missingPod.stderr, /not found/);
  });

  test(`${label}: attach over SPDY/3.1 shows the container's log, echoes stdin, ends when the container terminates`, { skip: missing }, async () => {
    const pod = `attached-${i}`;
    await createRunningPod(pod);
    const att = startKubectl(kc, ['attach', '-i', pod], 15_000, bin);
    const exited = new Promise<number | null>((resolve) => att.child.on('exit', (code) => resolve(code)));
    att.child.stdin!.write('typed in\n');
    await waitFor('log lines and the echo', () => /container main is running\n/.test(att.output()) && att.output().includes('typed in\n'));
    assert.match(att.output(), new RegExp(`racerig mock: container main of pod default/${pod} started\n`));
    const kill = await kubectl(kc, ['exec', pod, '--', 'kill', '1'], { bin });
    assert.equal(kill.code, 0, kill.stderr);
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 10_000).unref())]);
    att.stop();
    assert.equal(code, 0, att.output());
  });
}

const tlsClient = CANDIDATES.find((c) => c.bin && existsSync(c.bin));
test(`${tlsClient?.label ?? 'kubectl'}: exec over SPDY/3.1 on the TLS mock (client-certificate auth)`, { skip: tlsClient ? undefined : 'no SPDY kubectl found' }, async () => {
  const tls = await startFixture({ tls: true, lifecycle: { podStartDelayMs: 0, podRunDurationMs: 600_000, jitter: 0 } });
  try {
    const bin = tlsClient!.bin;
    const created = await kubectl(tls.kc, ['run', 'secure', '--image', 'busybox'], { bin });
    assert.equal(created.code, 0, created.stderr);
    await waitFor('secure Running', async () => (await kubectl(tls.kc, ['get', 'pod', 'secure', '-o', 'jsonpath={.status.phase}'], { bin })).stdout === 'Running');
    const hi = await kubectl(tls.kc, ['exec', 'secure', '--', 'sh', '-c', 'echo over tls; exit 7'], { bin });
    assert.equal(hi.stdout, 'over tls\n');
    assert.equal(hi.code, 7, hi.stderr);
  } finally {
    await tls.close();
  }
});
