import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDeflate, createInflate, deflateSync, constants, type Deflate, type Inflate } from 'node:zlib';
import { HeaderCompressor, HeaderDecompressor, SPDY3_DICTIONARY } from './header-compression.js';

/** Feeds `input` to a streaming zlib context and returns what it produced for it, after a sync flush. */
function through(z: Deflate | Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer) => out.push(c);
    z.on('data', onData);
    z.once('error', reject);
    z.write(input);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      // Let the last 'data' events of this flush arrive.
      setImmediate(() => {
        z.off('data', onData);
        z.off('error', reject);
        resolve(Buffer.concat(out));
      });
    });
  });
}

/** Header-block-like inputs: repetitive (back references into earlier blocks and the dictionary), random, and together over 32 KiB so the window slides. */
function blocks(): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < 70; i++) {
    const filler = i % 7 === 3 ? Buffer.from(Array.from({ length: 1500 }, (_, k) => (k * 7919 + i * 31) % 251)) : Buffer.alloc(0);
    out.push(Buffer.concat([Buffer.from(`\0\0\0\x02\0\0\0\x0astreamtype\0\0\0\x06stdout content-type text/plain ${i} ${'x'.repeat(i * 13)}`), filler]));
  }
  return out;
}

test('SPDY3_DICTIONARY is the 1423-byte SPDY/3 dictionary (its zlib dictionary id is the one SPDY/3 peers expect)', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
  assert.ok(SPDY3_DICTIONARY.toString('latin1').endsWith('charset=iso-8859-1,utf-,*,enq=0.'));
  const zlibHeader = deflateSync(Buffer.from('x'), { dictionary: SPDY3_DICTIONARY });
  assert.equal(zlibHeader[1]! & 0x20, 0x20, 'FDICT set');
  assert.equal(zlibHeader.readUInt32BE(2), 0xe3c6a7c2, 'Adler-32 of the dictionary');
});

test('HeaderCompressor: block by block, its output is one zlib stream a single streaming inflate context (with the dictionary) reads back', async () => {
  const c = new HeaderCompressor();
  const inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
  let total = 0;
  for (const b of blocks()) {
    total += b.length;
    assert.deepEqual(await through(inflate, c.compress(b)), b);
  }
  assert.ok(total > 40 * 1024, `inputs are ${total} bytes`);
  inflate.destroy();
});

test('HeaderDecompressor: reads block by block what a single streaming deflate context (with the dictionary, sync flushes) wrote', async () => {
  const d = new HeaderDecompressor();
  const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
  for (const b of blocks()) assert.deepEqual(d.decompress(await through(deflate, b)), b);
  deflate.destroy();
});

test('HeaderDecompressor: a corrupt block throws (the connection is then lost)', () => {
  const d = new HeaderDecompressor();
  assert.throws(() => d.decompress(Buffer.from([0x78, 0xbb, 1, 2, 3, 4, 5, 6])));
});
