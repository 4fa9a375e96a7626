import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitCommandLine } from './command-line.js';

test('splitCommandLine splits as a shell would, without expanding anything', () => {
  const cases: Array<[string, string[]]> = [
    ['ctrl --server {server}', ['ctrl', '--server', '{server}']],
    ['  a   b\tc ', ['a', 'b', 'c']],
    [`a 'b c' "d e"`, ['a', 'b c', 'd e']],
    [`a 'it''s'`, ['a', 'its']],
    [`a "say \\"hi\\"" 'no \\escape'`, ['a', 'say "hi"', 'no \\escape']],
    [`a b\\ c`, ['a', 'b c']],
    [`a "" ''`, ['a', '', '']],
    [`a "$HOME" *`, ['a', '$HOME', '*']],
    [`x="1 2"y`, ['x=1 2y']],
    ['a \\\n b', ['a', 'b']],
  ];
  for (const [line, want] of cases) assert.deepEqual(splitCommandLine(line), want, line);
});

test('splitCommandLine names the flag and the place of an unclosed quote, and refuses an empty command', () => {
  assert.throws(() => splitCommandLine(`ctrl 'oops`), /--sut: unclosed ' .*at character 6/);
  assert.throws(() => splitCommandLine(`ctrl "oops`, 'sut.command'), /sut\.command: unclosed " /);
  assert.throws(() => splitCommandLine('   '), /--sut: the command is empty/);
});
