import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { authInterceptor, withHeaders } from './auth.js';
import { staticCredentials } from '../../kube/credentials.js';
import type { RigDispatchOptions } from '../request-options.js';

test('withHeaders adds missing headers to objects, arrays and iterables as new values; present ones (any case) win', () => {
  const extra = { authorization: 'Bearer t', 'impersonate-user': 'bob' };
  const obj = Object.freeze({ Accept: 'application/json', Authorization: 'Bearer mine' });
  assert.deepEqual(withHeaders(obj, extra), { Accept: 'application/json', Authorization: 'Bearer mine', 'impersonate-user': 'bob' });
  const arr = Object.freeze(['accept', '*/*']) as unknown as string[];
  assert.deepEqual(withHeaders(arr, extra), ['accept', '*/*', 'authorization', 'Bearer t', 'impersonate-user', 'bob']);
  assert.deepEqual(withHeaders(new Map([['AUTHORIZATION', 'x']]) as unknown as Iterable<[string, string]>, extra), { authorization: 'x', 'impersonate-user': 'bob' });
  assert.equal(withHeaders(undefined, extra), extra);
});

test('the auth wrapper hands on a new options object for ordinary and upgrade requests and never writes the one it got', () => {
  const seen: RigDispatchOptions[] = [];
  const dispatch = authInterceptor({ credentials: staticCredentials({ authorization: 'Bearer t' }) })((opts: Dispatcher.DispatchOptions) => {
    seen.push(opts);
    return true;
  });
  const handler: Dispatcher.DispatchHandler = { onRequestStart() {} };
  const plain = Object.freeze({ method: 'GET' as const, path: '/a', headers: Object.freeze({ accept: 'application/json' }), operation: 2 });
  const upgrade = Object.freeze({ method: 'GET' as const, path: '/exec', headers: Object.freeze({ 'sec-websocket-version': '13' }), upgrade: 'websocket' });
  for (let i = 0; i < 3; i++) {
    dispatch(plain, handler);
    dispatch(upgrade, handler);
  }
  assert.deepEqual(plain.headers, { accept: 'application/json' });
  assert.deepEqual(seen[0], { method: 'GET', path: '/a', headers: { accept: 'application/json', authorization: 'Bearer t' }, operation: 2 });
  assert.deepEqual(seen[1]!.headers, { 'sec-websocket-version': '13', authorization: 'Bearer t' });
  assert.equal(seen[1]!.upgrade, 'websocket');
  assert.notEqual(seen[0], seen[2], 'a new options object per request');
  assert.equal(seen[0]!.headers, seen[2]!.headers, 'merged headers of a frozen template are reused');
  assert.ok(Object.isFrozen(seen[0]!.headers));
  const none = authInterceptor({ credentials: staticCredentials({}) })((opts: Dispatcher.DispatchOptions) => {
    seen.push(opts);
    return true;
  });
  none(plain, handler);
  assert.equal(seen.at(-1), plain, 'no credentials: the options pass through untouched');
});
