/**
 * /metrics: Prometheus text whose counts equal the requests this test made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalMockServer } from '../../src/mock/server.js';
import { http, json, kubectl, openWatch, tempDir, waitFor, writeTemp, useMock } from './helpers.js';
import { parseSamples, sumSamples } from '../../src/mock/metrics-text.js';
import { rawConnect, requestHead } from './raw-http.js';

let url: string;
let server: LocalMockServer;

useMock({ lifecycle: { disabled: true } }, (s) => {
  server = s;
  url = s.url;
});

/** sample returns the value of the one series with exactly these labels, or 0. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const keys = Object.keys(labels);
  const hit = parseSamples(text, name).find((s) => Object.keys(s.labels).length === keys.length && keys.every((k) => s.labels[k] === labels[k]));
  return hit?.value ?? 0;
}

test('/metrics counts equal the requests made, by verb, resource, scope and code', async () => {
  const base = { group: '', version: 'v1', resource: 'configmaps', subresource: '' };
  for (let i = 0; i < 7; i++) assert.equal((await json(url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `m${i}` } })).status, 201);
  for (let i = 0; i < 5; i++) assert.equal((await json(url, 'GET', `/api/v1/namespaces/default/configmaps/m${i}`)).status, 200);
  for (let i = 0; i < 2; i++) assert.equal((await json(url, 'GET', '/api/v1/namespaces/default/configmaps/missing')).status, 404);
  for (let i = 0; i < 3; i++) assert.equal((await json(url, 'GET', '/api/v1/namespaces/default/configmaps')).status, 200);
  assert.equal((await json(url, 'GET', '/api/v1/configmaps')).status, 200);
  assert.equal((await http(url, 'PATCH', '/api/v1/namespaces/default/configmaps/m0', '{"data":{"a":"b"}}', { 'Content-Type': 'application/merge-patch+json' })).status, 200);
  assert.equal((await json(url, 'DELETE', '/api/v1/namespaces/default/configmaps/m1')).status, 200);
  const w = await openWatch(url, '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=5');
  await waitFor('the 6 stored configmaps as initial events', () => w.events.length === 6);

  const text = (await http(url, 'GET', '/metrics')).body;
  const count = (verb: string, scope: string, code: string) => sample(text, 'apiserver_request_total', { verb, ...base, scope, code });
  assert.equal(count('POST', 'namespace', '201'), 7);
  assert.equal(count('GET', 'resource', '200'), 5);
  assert.equal(count('GET', 'resource', '404'), 2);
  assert.equal(count('LIST', 'namespace', '200'), 3);
  assert.equal(count('LIST', 'cluster', '200'), 1);
  assert.equal(count('PATCH', 'resource', '200'), 1);
  assert.equal(count('DELETE', 'resource', '200'), 1);
  assert.equal(sample(text, 'apiserver_request_duration_seconds_count', { verb: 'POST', ...base, scope: 'namespace' }), 7);
  assert.equal(sample(text, 'apiserver_request_duration_seconds_bucket', { verb: 'POST', ...base, scope: 'namespace', le: '+Inf' }), 7);
  assert.equal(sample(text, 'apiserver_longrunning_requests', { verb: 'WATCH', ...base, scope: 'namespace' }), 1);
  assert.equal(sample(text, 'apiserver_watch_events_total', { group: '', version: 'v1', resource: 'configmaps' }), 6);
  assert.equal(sumSamples(text, 'apiserver_request_total', { resource: 'configmaps', verb: 'GET' }), 7);
  assert.match(text, /^apiserver_current_inflight_requests\{request_kind="readOnly"\} \d+$/m);
  assert.match(text, /^# TYPE apiserver_request_duration_seconds histogram$/m);
  w.close();
  await waitFor('watch closed', async () => sample((await http(url, 'GET', '/metrics')).body, 'apiserver_longrunning_requests', { verb: 'WATCH', ...base, scope: 'namespace' }) === 0);
  assert.equal(server.api!.store.count('/configmaps'), 6);
});

test('racerig_mock_client_requests_total counts every answered request by full User-Agent (escaped), method and code; kubectl is counted under its own UA', async () => {
  const controller = 'argo-controller/v3.6.0-rc1 (linux/amd64) "quoted" back\\slash';
  const other = 'other-client/1.0';
  const as = (ua: string) => ({ 'User-Agent': ua });
  for (let i = 0; i < 3; i++) assert.equal((await http(url, 'GET', '/api/v1/namespaces/default/pods', undefined, as(controller))).status, 200);
  assert.equal((await http(url, 'GET', '/api/v1/namespaces/default/pods/ghost', undefined, as(controller))).status, 404);
  assert.equal((await http(url, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ metadata: { name: 'by-controller' } }), as(controller))).status, 201);
  const watch = await rawConnect(url);
  watch.write(requestHead('GET', '/api/v1/namespaces/default/configmaps?watch=true', as(controller)));
  await watch.until('HTTP/1.1 200 OK');
  watch.socket.destroy();
  assert.equal((await http(url, 'GET', '/api/v1/namespaces/default/pods', undefined, { ...as(controller), Connection: 'Upgrade', Upgrade: 'SPDY/3.1' })).status, 200);
  assert.equal((await http(url, 'GET', '/healthz', undefined, as(other))).status, 200);
  assert.equal((await http(url, 'DELETE', '/api/v1/namespaces/default/configmaps/by-controller', undefined, as(other))).status, 200);
  assert.equal((await http(url, 'GET', '/api/v1/namespaces/default/pods/x/y/z/w', undefined, as(other))).status, 404);

  const dir = tempDir();
  try {
    const kc = writeTemp(dir.dir, 'kubeconfig', server.kubeconfig);
    const r = await kubectl(kc, ['get', 'configmaps', '-n', 'default']);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    dir.remove();
  }

  const samples = parseSamples(await server.metrics(), 'racerig_mock_client_requests_total');
  const count = (ua: string, verb: string, code: string) => samples.find((s) => s.labels.user_agent === ua && s.labels.verb === verb && s.labels.code === code)?.value ?? 0;
  assert.equal(count(controller, 'GET', '200'), 5, 'three lists, the watch and the list with upgrade headers');
  assert.equal(count(controller, 'GET', '404'), 1);
  assert.equal(count(controller, 'POST', '201'), 1);
  assert.equal(count(other, 'GET', '200'), 1);
  assert.equal(count(other, 'DELETE', '200'), 1);
  assert.equal(count(other, 'GET', '404'), 1);
  const kubectlSeries = samples.filter((s) => /^kubectl\/v1\.\d+/.test(s.labels.user_agent!));
  assert.ok(kubectlSeries.length > 0, 'kubectl counted under its own User-Agent');
  assert.ok(kubectlSeries.every((s) => s.labels.verb === 'GET' && s.labels.code === '200' && s.value >= 1));
  for (const s of samples) assert.deepEqual(Object.keys(s.labels), ['user_agent', 'verb', 'code']);
  const text = await server.metrics();
  assert.match(text, /^# TYPE racerig_mock_client_requests_total counter$/m);
  assert.ok(text.includes('user_agent="argo-controller/v3.6.0-rc1 (linux/amd64) \\"quoted\\" back\\\\slash"'), 'quotes and backslashes escaped');
  // apiserver_request_total keeps its labels.
  for (const s of parseSamples(text, 'apiserver_request_total')) assert.deepEqual(Object.keys(s.labels), ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'code']);
});
