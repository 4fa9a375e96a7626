import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from './status.js';
import { isTrue } from './request-info.js';
import { getVersion, listVersion, validateWatchOptions, writeOptions } from './query-options.js';

const q = (s: string) => new URLSearchParams(s);
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as StatusError).httpStatus;
  }
  return 0;
};

test('booleans parse as apimachinery parses them', () => {
  for (const v of ['true', 'True', 'TRUE', 't', '1', 'yes', '']) assert.equal(isTrue(v), true, v);
  for (const v of [null, '0', 'false', 'False', 'FALSE']) assert.equal(isTrue(v), false, String(v));
});

test('write options: dryRun only All, fieldManager at most 128 printable characters', () => {
  assert.equal(writeOptions('CreateOptions', q('')), false);
  assert.equal(writeOptions('CreateOptions', q('dryRun=All')), true);
  assert.equal(writeOptions('DeleteOptions', q(''), ['All']), true);
  assert.equal(codeOf(() => writeOptions('CreateOptions', q('dryRun=true'))), 422);
  assert.equal(codeOf(() => writeOptions('PatchOptions', q(`fieldManager=${'m'.repeat(129)}`))), 422);
  assert.equal(codeOf(() => writeOptions('PatchOptions', q('fieldManager=a%0Ab'))), 422);
  assert.equal(writeOptions('PatchOptions', q(`fieldManager=${'m'.repeat(128)}`)), false);
});

test('list and watch resourceVersion options', () => {
  assert.deepEqual(listVersion(q(''), 10), { match: 'Any' });
  assert.deepEqual(listVersion(q('resourceVersion=5&resourceVersionMatch=Exact'), 10), { match: 'Exact', rv: 5 });
  assert.deepEqual(listVersion(q('resourceVersion=5'), 10), { match: 'NotOlderThan', rv: 5 });
  assert.equal(codeOf(() => listVersion(q('resourceVersionMatch=Exact'), 10)), 422);
  assert.equal(codeOf(() => listVersion(q('resourceVersion=0&resourceVersionMatch=Exact'), 10)), 422);
  assert.equal(codeOf(() => listVersion(q('resourceVersion=5&resourceVersionMatch=Newest'), 10)), 422);
  assert.equal(codeOf(() => listVersion(q('sendInitialEvents=true'), 10)), 422);
  assert.equal(codeOf(() => listVersion(q('resourceVersion=11'), 10)), 504);
  assert.equal(codeOf(() => getVersion(q('resourceVersion=11'), 10)), 504);
  assert.equal(codeOf(() => listVersion(q('resourceVersion=x'), 10)), 400);
  assert.equal(codeOf(() => validateWatchOptions(q('sendInitialEvents=true&allowWatchBookmarks=true'))), 422);
  assert.equal(codeOf(() => validateWatchOptions(q('sendInitialEvents=true&resourceVersionMatch=NotOlderThan'))), 422);
  assert.equal(codeOf(() => validateWatchOptions(q('sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'))), 0);
  assert.equal(codeOf(() => validateWatchOptions(q('resourceVersionMatch=NotOlderThan'))), 422);
});
