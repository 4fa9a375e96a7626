import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultsFromFlags, mockOptionsFromFlags, type MockFlags } from './mock.js';

const base: MockFlags = { host: '127.0.0.1', port: '0', kubeconfigOut: 'results/mock.kubeconfig', latency: [], error: [] };

test('fault flags become a fault configuration', () => {
  const f = faultsFromFlags({ ...base, latency: ['get/pods=fixed:5', 'lognormal:10:0.5'], error: ['create=429:0.1:2'], reset: '0.01', stall: '5000:200', maxInflight: '400', watchDelay: '50' });
  assert.deepEqual(f, {
    latency: [
      { verb: 'get', resource: 'pods', distribution: { kind: 'fixed', ms: 5 } },
      { distribution: { kind: 'lognormal', medianMs: 10, sigma: 0.5 } },
    ],
    errors: [{ verb: 'create', code: 429, fraction: 0.1, retryAfterSeconds: 2 }],
    resetFraction: 0.01,
    stall: { everyMs: 5000, forMs: 200 },
    maxInflight: 400,
    watchDelayMs: 50,
  });
});

test('every bad flag is reported at once as a usage error', () => {
  assert.throws(
    () => faultsFromFlags({ ...base, latency: ['zipf:3'], error: ['404:0.5'], reset: '2', stall: '10:20', maxInflight: '-1' }),
    (e: Error & { code?: string }) =>
      e.code === 'RACERIG_USAGE' &&
      /zipf/.test(e.message) &&
      /500, 503 or 429/.test(e.message) &&
      /--reset/.test(e.message) &&
      /--stall/.test(e.message) &&
      /--max-inflight/.test(e.message),
  );
});

test('options resolve the kubeconfig path against the working directory and check the port', () => {
  const o = mockOptionsFromFlags({ ...base, kubeconfigOut: 'out/k.yaml', podStartDelay: '10' }, '/tmp/work');
  assert.equal(o.kubeconfigPath, '/tmp/work/out/k.yaml');
  assert.equal(o.lifecycle?.podStartDelayMs, 10);
  assert.throws(() => mockOptionsFromFlags({ ...base, port: '70000' }, '/tmp'), /at most 65535/);
});

test('--no-workflow-lifecycle switches off only the simulated workflow controller', () => {
  assert.equal(mockOptionsFromFlags({ ...base, workflowLifecycle: false }, '/tmp').lifecycle?.workflows, false);
  const plain = mockOptionsFromFlags({ ...base, workflowLifecycle: true }, '/tmp').lifecycle;
  assert.equal(plain?.workflows, undefined);
  assert.equal(plain?.disabled, undefined);
});
