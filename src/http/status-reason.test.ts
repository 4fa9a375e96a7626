import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reasonIndex } from './status-reason.js';
import { STATUS_REASONS } from '../metrics/layout.js';

const status = (reason: string, code: number) => Buffer.from(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code }));

test('the reason comes from a Status body, else from the code, else Unknown', () => {
  const name = (i: number) => STATUS_REASONS[i];
  assert.equal(name(reasonIndex(409, status('AlreadyExists', 409))), 'AlreadyExists');
  assert.equal(name(reasonIndex(409, status('Conflict', 409))), 'Conflict');
  assert.equal(name(reasonIndex(410, status('Gone', 410))), 'Gone');
  assert.equal(name(reasonIndex(429, Buffer.from('Too many requests, please try again later.'))), 'TooManyRequests');
  assert.equal(name(reasonIndex(404, undefined)), 'NotFound');
  assert.equal(name(reasonIndex(502, Buffer.from('{not json'))), 'InternalError');
  assert.equal(name(reasonIndex(418, undefined)), 'Unknown');
  assert.equal(name(reasonIndex(400, status('SomethingNew', 400))), 'Unknown');
});
