import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RacerigError, fromErrorData, toErrorData } from '../errors.js';
import { StatusError, notFound, statusErrorCode, unsupportedMediaType } from './status.js';

test('a StatusError is a RacerigError: a stable code from its reason, its HTTP status apart', () => {
  const err = notFound('pods', '', 'p1');
  assert.ok(err instanceof RacerigError);
  assert.ok(err instanceof StatusError);
  assert.equal(err.code, 'RACERIG_MOCK_NOT_FOUND');
  assert.equal(err.httpStatus, 404);
  assert.equal(err.toStatus().code, 404);
  assert.equal(unsupportedMediaType('text/plain').code, 'RACERIG_MOCK_UNSUPPORTED_MEDIA_TYPE');
  assert.equal(statusErrorCode('TooManyRequests'), 'RACERIG_MOCK_TOO_MANY_REQUESTS');
  assert.equal(statusErrorCode('Invalid'), 'RACERIG_MOCK_INVALID');
});

test('a StatusError crosses a thread boundary with its code and message', () => {
  const back = fromErrorData(structuredClone(toErrorData(new StatusError(409, 'AlreadyExists', 'configmaps "x" already exists'))));
  assert.equal(back.code, 'RACERIG_MOCK_ALREADY_EXISTS');
  assert.equal(back.message, 'configmaps "x" already exists');
});
