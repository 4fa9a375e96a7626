import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDir, normalizePath, tar, untar, type ContainerFiles } from './tar.js';

test('tar then untar gives the same files back, under another directory too', () => {
  const files: ContainerFiles = new Map([
    ['/tmp/a.bin', Buffer.from([0, 255, 10])],
    ['/tmp/d/' + 'x'.repeat(120) + '/f.txt', Buffer.from('long name')],
  ]);
  const stream = tar(files, '/tmp')!;
  assert.equal(stream.length % 512, 0);
  const back: ContainerFiles = new Map();
  assert.equal(untar(stream, back, '/'), 2);
  assert.deepEqual([...back.entries()].sort(), [...files.entries()].sort());
  const moved: ContainerFiles = new Map();
  untar(tar(files, '/tmp/a.bin')!, moved, '/other');
  assert.deepEqual([...moved.keys()], ['/other/tmp/a.bin']);
  assert.equal(tar(files, '/nope'), undefined);
});

test('paths and directories', () => {
  assert.equal(normalizePath('a/../b/./c/', '/x'), '/x/b/c');
  const files: ContainerFiles = new Map([['/data/x/y', Buffer.alloc(0)]]);
  assert.ok(isDir(files, '/data/x'));
  assert.ok(isDir(files, '/tmp'));
  assert.ok(!isDir(files, '/data/x/y'));
});
