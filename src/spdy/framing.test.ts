import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderCompressor, HeaderDecompressor } from './header-compression.js';
import {
  FrameReader,
  MAX_FRAME_BYTES,
  SpdyProtocolError,
  decodeHeaderBlock,
  encodeData,
  encodeGoAway,
  encodeHeaderBlock,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  type SpdyFrame,
} from './framing.js';

function plain(frames: SpdyFrame[]): unknown[] {
  return frames.map((f) => ('headers' in f ? { ...f, headers: Object.fromEntries(f.headers) } : 'data' in f ? { ...f, data: f.data.toString('latin1') } : f));
}

function wire(): Buffer {
  const c = new HeaderCompressor();
  return Buffer.concat([
    encodeSynStream(c, 1, { streamtype: 'error' }, { priority: 3 }),
    encodeSynStream(c, 3, { streamtype: 'stdin', 'x-many': ['a', 'b'] }, { fin: true }),
    encodeSynReply(c, 1),
    encodeHeaders(c, 3, { streamtype: 'stdin' }, true),
    encodeData(3, Buffer.from('hello')),
    encodeData(3, Buffer.alloc(0), true),
    encodeRstStream(5, 5),
    encodeSettings([{ id: 7, value: 65536 }, { flags: 1, id: 4, value: 100 }]),
    encodePing(1),
    encodeWindowUpdate(0, 1 << 20),
    encodeGoAway(3, 0),
  ]);
}

const EXPECTED = [
  { type: 'syn_stream', streamId: 1, associatedId: 0, priority: 3, fin: false, unidirectional: false, headers: { streamtype: ['error'] } },
  { type: 'syn_stream', streamId: 3, associatedId: 0, priority: 0, fin: true, unidirectional: false, headers: { streamtype: ['stdin'], 'x-many': ['a', 'b'] } },
  { type: 'syn_reply', streamId: 1, fin: false, headers: {} },
  { type: 'headers', streamId: 3, fin: true, headers: { streamtype: ['stdin'] } },
  { type: 'data', streamId: 3, fin: false, data: 'hello' },
  { type: 'data', streamId: 3, fin: true, data: '' },
  { type: 'rst_stream', streamId: 5, status: 5 },
  { type: 'settings', entries: [{ flags: 0, id: 7, value: 65536 }, { flags: 1, id: 4, value: 100 }] },
  { type: 'ping', id: 1 },
  { type: 'window_update', streamId: 0, delta: 1 << 20 },
  { type: 'goaway', lastGoodStreamId: 3, status: 0 },
];

test('FrameReader decodes every frame type, whole and split at every byte (header blocks through one compression context)', () => {
  const bytes = wire();
  assert.deepEqual(plain(new FrameReader(new HeaderDecompressor()).push(bytes)), EXPECTED);
  for (let at = 1; at < bytes.length; at++) {
    const r = new FrameReader(new HeaderDecompressor());
    const frames = [...r.push(bytes.subarray(0, at)), ...r.push(bytes.subarray(at))];
    assert.deepEqual(plain(frames), EXPECTED, `split at ${at}`);
  }
  const oneByOne = new FrameReader(new HeaderDecompressor());
  const frames: SpdyFrame[] = [];
  for (let i = 0; i < bytes.length; i++) frames.push(...oneByOne.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(plain(frames), EXPECTED);
});

test('FrameReader: a malformed header block loses only its stream; an unknown control type is passed on; an oversized or wrong-version frame is a connection error', () => {
  const c = new HeaderCompressor();
  const upper = encodeSynStream(c, 1, {});
  // Re-encode a block with an uppercase name, bypassing encodeHeaderBlock's lowercasing.
  const block = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 10]), Buffer.from('StreamType'), Buffer.from([0, 0, 0, 5]), Buffer.from('error')]);
  const bad = Buffer.concat([upper.subarray(0, 8), upper.subarray(8, 18), c.compress(block)]);
  bad.writeUInt32BE(bad.length - 8, 4);
  bad.writeUInt32BE(3, 8);
  const unknown = Buffer.from([0x80, 3, 0, 0x42, 0, 0, 0, 0]);
  const r = new FrameReader(new HeaderDecompressor());
  const frames = r.push(Buffer.concat([upper, bad, unknown, encodeSynStream(c, 5, { streamtype: 'stdout' })]));
  assert.deepEqual(
    frames.map((f) => f.type),
    ['syn_stream', 'invalid', 'unknown', 'syn_stream'],
  );
  assert.equal((frames[1] as { streamId: number }).streamId, 3);
  assert.deepEqual(Object.fromEntries((frames[3] as { headers: Map<string, string[]> }).headers), { streamtype: ['stdout'] });

  const huge = Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]);
  huge.writeUInt32BE(MAX_FRAME_BYTES + 1, 4);
  assert.throws(() => new FrameReader(new HeaderDecompressor()).push(huge), SpdyProtocolError);
  assert.throws(() => new FrameReader(new HeaderDecompressor()).push(Buffer.from([0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])), /unsupported SPDY version 2/);
});

test('header blocks: several values of one name travel NUL-joined; truncated or lying blocks are refused', () => {
  const block = encodeHeaderBlock({ A: ['1', '2'], b: '' });
  assert.deepEqual(Object.fromEntries(decodeHeaderBlock(block)), { a: ['1', '2'], b: [''] });
  assert.throws(() => decodeHeaderBlock(block.subarray(0, block.length - 1)), /truncated/);
  assert.throws(() => decodeHeaderBlock(Buffer.from([0, 0, 1, 0])), /count 256 exceeds/);
});
