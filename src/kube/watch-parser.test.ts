import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchParser, type WatchEvent } from './watch-parser.js';

const line = (type: string, name: string) => JSON.stringify({ type, object: { kind: 'ConfigMap', metadata: { name, resourceVersion: '1' } } }) + '\n';

test('events split across chunks, several per chunk, and multi-byte characters cut between chunks arrive whole, in order', () => {
  const events: WatchEvent[] = [];
  const p = new WatchParser((e) => events.push(e));
  const text = line('ADDED', 'a') + line('MODIFIED', 'ünïcødé-€') + line('DELETED', 'c') + line('BOOKMARK', 'd');
  const bytes = Buffer.from(text);
  // Every split point, including ones inside the multi-byte characters.
  for (let cut = 1; cut < bytes.length; cut += 7) {
    events.length = 0;
    p.push(bytes.subarray(0, cut));
    p.push(bytes.subarray(cut));
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata?.name]), [['ADDED', 'a'], ['MODIFIED', 'ünïcødé-€'], ['DELETED', 'c'], ['BOOKMARK', 'd']], `cut at ${cut}`);
  }
  events.length = 0;
  for (const b of bytes) p.push(Buffer.from([b])); // one byte per chunk
  assert.equal(events.length, 4);
  assert.equal(p.pendingBytes, 0);
});

test('blank lines and CRLF are tolerated, malformed lines counted and skipped, a last line without newline delivered at end', () => {
  const events: WatchEvent[] = [];
  const p = new WatchParser((e) => events.push(e));
  p.push(Buffer.from('\n' + line('ADDED', 'a').replace('\n', '\r\n') + '{not json}\n' + '{"type":"ADDED"}\n' + line('ADDED', 'b').trimEnd()));
  assert.equal(events.length, 1);
  assert.equal(p.malformed, 2);
  assert.ok(p.pendingBytes > 0);
  p.end();
  assert.deepEqual(events.map((e) => e.object.metadata?.name), ['a', 'b']);
});
