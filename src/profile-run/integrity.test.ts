import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIntegrity, minus, parseRequestTotals } from './integrity.js';

const BEFORE = `# HELP apiserver_request_total Counter of apiserver requests.
apiserver_request_total{verb="LIST",group="",version="v1",resource="pods",subresource="",scope="namespace",code="200"} 1
`;
const AFTER = `apiserver_request_total{verb="LIST",group="",version="v1",resource="pods",subresource="",scope="namespace",code="200"} 3
apiserver_request_total{verb="GET",group="",version="v1",resource="pods",subresource="",scope="resource",code="200"} 5
apiserver_request_total{verb="CONNECT",group="",version="v1",resource="pods",subresource="exec",scope="resource",code="101"} 4
apiserver_request_total{verb="POST",group="argoproj.io",version="v1alpha1",resource="workflows",subresource="",scope="namespace",code="409"} 2
apiserver_request_duration_seconds_bucket{verb="GET",le="0.005"} 9
`;

test('server counts are summed per resource and code over the run span', () => {
  const server = minus(parseRequestTotals(AFTER, true), parseRequestTotals(BEFORE, true));
  assert.deepEqual(Object.fromEntries(server), { '/pods 200': 7, '/pods 101': 4, 'argoproj.io/workflows 409': 2 });
  assert.deepEqual(Object.fromEntries(parseRequestTotals(AFTER, false)), { '* 200': 8, '* 101': 4, '* 409': 2 });
});

test('equal counts pass; a lost or extra response is named with both numbers', () => {
  const server = new Map([['/pods 200', 7], ['/pods 101', 4]]);
  assert.deepEqual(checkIntegrity(new Map([['/pods 200', 7], ['/pods 101', 4]]), server), { ok: true, compared: 11, mismatches: [] });
  const bad = checkIntegrity(new Map([['/pods 200', 6], ['/pods 101', 4], ['/configmaps 201', 1]]), server);
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.mismatches, ['/configmaps 201: run 1, server 0', '/pods 200: run 6, server 7']);
});
