/**
 * SPDY/3.1 framing: the 8-byte frame header, the control frames (SYN_STREAM, SYN_REPLY, RST_STREAM,
 * SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE), DATA frames, and the name/value header block
 * (32-bit counts and lengths, several values of one name joined by NUL). Header blocks travel
 * compressed (see header-compression.ts); this file encodes and decodes frames around them.
 */
import type { HeaderCompressor, HeaderDecompressor } from './header-compression.js';

/** SPDY_VERSION is the version field of every control frame. */
export const SPDY_VERSION = 3;

/** FrameType numbers the control frame types. */
export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** FLAG_FIN ends the sender's half of a stream (DATA, SYN_STREAM, SYN_REPLY, HEADERS). */
export const FLAG_FIN = 0x01;

/** RstStatus numbers the RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** GoAwayStatus numbers the GOAWAY status codes. */
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

/** HeaderMap is a decoded header block: lowercase names to their values (in order). */
export type HeaderMap = Map<string, string[]>;

/** SpdyFrame is one decoded frame; header blocks are already decompressed. */
export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedId: number; priority: number; fin: boolean; unidirectional: boolean; headers: HeaderMap }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headers: HeaderMap }
  | { type: 'headers'; streamId: number; fin: boolean; headers: HeaderMap }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; entries: Array<{ flags: number; id: number; value: number }> }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'unknown'; frameType: number; flags: number }
  /** A control frame whose header block is malformed: only its stream is lost (answer with RST_STREAM). */
  | { type: 'invalid'; streamId: number; message: string };

/** SpdyProtocolError is a malformed frame; `streamId` is set when only that stream is affected. */
export class SpdyProtocolError extends Error {
  constructor(
    message: string,
    readonly streamId?: number,
  ) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

/** MAX_FRAME_BYTES bounds one frame's payload the reader accepts, in bytes (the 24-bit length allows 16 MiB). */
export const MAX_FRAME_BYTES = 1024 * 1024;

const STREAM_ID_MASK = 0x7fffffff;

/** encodeHeaderBlock serializes headers (names lowercased) into an uncompressed SPDY/3 name/value block. */
export function encodeHeaderBlock(headers: Record<string, string | string[]> | HeaderMap): Buffer {
  const entries = headers instanceof Map ? [...headers.entries()] : Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from((Array.isArray(value) ? value : [value]).join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** decodeHeaderBlock parses an uncompressed name/value block; it throws SpdyProtocolError when the block is malformed. */
export function decodeHeaderBlock(block: Buffer, streamId?: number): HeaderMap {
  const fail = (why: string): never => {
    throw new SpdyProtocolError(`malformed header block: ${why}`, streamId);
  };
  if (block.length < 4) fail('shorter than its count');
  const count = block.readUInt32BE(0);
  // Every pair takes at least 8 bytes: a larger count cannot be honest.
  if (count > (block.length - 4) / 8) fail(`count ${count} exceeds the block`);
  const headers: HeaderMap = new Map();
  let off = 4;
  const take = (): string => {
    if (off + 4 > block.length) fail('truncated length');
    const len = block.readUInt32BE(off);
    off += 4;
    if (off + len > block.length) fail('truncated string');
    const s = block.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = take();
    const value = take();
    if (name.length === 0) fail('empty header name');
    if (name !== name.toLowerCase()) fail(`header name ${JSON.stringify(name)} is not lowercase`);
    if (headers.has(name)) fail(`duplicate header name ${JSON.stringify(name)}`);
    headers.set(name, value.split('\0'));
  }
  return headers;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** encodeData builds one DATA frame (at most 16 MiB - 1 of data); `fin` ends the sender's half of the stream. */
export function encodeData(streamId: number, data: Buffer, fin = false): Buffer {
  if (data.length > 0xffffff) throw new RangeError('DATA frame payload over 16 MiB');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  head.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.length, 4);
  return Buffer.concat([head, data]);
}

/** encodeSynStream builds a SYN_STREAM frame (the client side of the protocol), compressing its headers with `compressor`. */
export function encodeSynStream(compressor: HeaderCompressor, streamId: number, headers: Record<string, string | string[]>, options: { fin?: boolean; priority?: number; associatedId?: number } = {}): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId & STREAM_ID_MASK, 0);
  fixed.writeUInt32BE((options.associatedId ?? 0) & STREAM_ID_MASK, 4);
  fixed.writeUInt8(((options.priority ?? 0) & 7) << 5, 8);
  return controlFrame(FrameType.SYN_STREAM, options.fin ? FLAG_FIN : 0, Buffer.concat([fixed, compressor.compress(encodeHeaderBlock(headers))]));
}

/** encodeSynReply builds a SYN_REPLY frame, compressing its headers with `compressor`. */
export function encodeSynReply(compressor: HeaderCompressor, streamId: number, headers: Record<string, string | string[]> = {}, fin = false): Buffer {
  return controlFrame(FrameType.SYN_REPLY, fin ? FLAG_FIN : 0, Buffer.concat([u32(streamId & STREAM_ID_MASK), compressor.compress(encodeHeaderBlock(headers))]));
}

/** encodeHeaders builds a HEADERS frame, compressing its headers with `compressor`. */
export function encodeHeaders(compressor: HeaderCompressor, streamId: number, headers: Record<string, string | string[]>, fin = false): Buffer {
  return controlFrame(FrameType.HEADERS, fin ? FLAG_FIN : 0, Buffer.concat([u32(streamId & STREAM_ID_MASK), compressor.compress(encodeHeaderBlock(headers))]));
}

/** encodeRstStream builds a RST_STREAM frame with a RstStatus code. */
export function encodeRstStream(streamId: number, status: number): Buffer {
  return controlFrame(FrameType.RST_STREAM, 0, Buffer.concat([u32(streamId & STREAM_ID_MASK), u32(status)]));
}

/** encodeSettings builds a SETTINGS frame from (flags, id, value) entries. */
export function encodeSettings(entries: Array<{ flags?: number; id: number; value: number }>, clear = false): Buffer {
  const parts = [u32(entries.length)];
  for (const e of entries) parts.push(u32((((e.flags ?? 0) & 0xff) << 24) | (e.id & 0xffffff)), u32(e.value));
  return controlFrame(FrameType.SETTINGS, clear ? 1 : 0, Buffer.concat(parts));
}

/** encodePing builds a PING frame (a reply carries the received id unchanged). */
export function encodePing(id: number): Buffer {
  return controlFrame(FrameType.PING, 0, u32(id));
}

/** encodeGoAway builds a GOAWAY frame naming the last stream the sender accepted. */
export function encodeGoAway(lastGoodStreamId: number, status: number = GoAwayStatus.OK): Buffer {
  return controlFrame(FrameType.GOAWAY, 0, Buffer.concat([u32(lastGoodStreamId & STREAM_ID_MASK), u32(status)]));
}

/** encodeWindowUpdate builds a WINDOW_UPDATE frame (stream 0: the whole session, SPDY/3.1). */
export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  return controlFrame(FrameType.WINDOW_UPDATE, 0, Buffer.concat([u32(streamId & STREAM_ID_MASK), u32(delta & STREAM_ID_MASK)]));
}

/**
 * FrameReader reassembles frames from a byte stream split anywhere (one TCP segment may hold part of
 * a frame or several); header blocks are decompressed in arrival order with `decompressor`.
 * Not safe to share between connections.
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private length = 0;

  constructor(private readonly decompressor: HeaderDecompressor) {}

  /** push adds received bytes and returns every frame now complete; it throws SpdyProtocolError on a malformed frame (the connection is then unusable). */
  push(chunk: Buffer): SpdyFrame[] {
    this.buffered.push(chunk);
    this.length += chunk.length;
    const frames: SpdyFrame[] = [];
    for (let i = 0; this.length >= 8 && i < 100_000; i++) {
      const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
      this.buffered = [all];
      const payloadLength = all.readUInt32BE(4) & 0xffffff;
      if (payloadLength > MAX_FRAME_BYTES) throw new SpdyProtocolError(`frame of ${payloadLength} bytes exceeds ${MAX_FRAME_BYTES}`);
      if (all.length < 8 + payloadLength) break;
      const frame = all.subarray(0, 8 + payloadLength);
      const rest = all.subarray(8 + payloadLength);
      this.buffered = rest.length ? [rest] : [];
      this.length = rest.length;
      try {
        frames.push(this.decode(frame));
      } catch (err) {
        if (!(err instanceof SpdyProtocolError) || err.streamId === undefined) throw err;
        frames.push({ type: 'invalid', streamId: err.streamId, message: err.message });
      }
    }
    return frames;
  }

  private decode(frame: Buffer): SpdyFrame {
    const flags = frame[4]!;
    const payload = frame.subarray(8);
    if ((frame[0]! & 0x80) === 0) {
      return { type: 'data', streamId: frame.readUInt32BE(0) & STREAM_ID_MASK, fin: (flags & FLAG_FIN) !== 0, data: Buffer.from(payload) };
    }
    const version = frame.readUInt16BE(0) & 0x7fff;
    const type = frame.readUInt16BE(2);
    if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
    const need = (n: number, what: string) => {
      if (payload.length < n) throw new SpdyProtocolError(`${what} frame too short (${payload.length} bytes)`);
    };
    const fin = (flags & FLAG_FIN) !== 0;
    switch (type) {
      case FrameType.SYN_STREAM: {
        need(10, 'SYN_STREAM');
        const streamId = payload.readUInt32BE(0) & STREAM_ID_MASK;
        return {
          type: 'syn_stream',
          streamId,
          associatedId: payload.readUInt32BE(4) & STREAM_ID_MASK,
          priority: payload[8]! >> 5,
          fin,
          unidirectional: (flags & 0x02) !== 0,
          headers: this.headerBlock(payload.subarray(10), streamId),
        };
      }
      case FrameType.SYN_REPLY:
      case FrameType.HEADERS: {
        need(4, type === FrameType.HEADERS ? 'HEADERS' : 'SYN_REPLY');
        const streamId = payload.readUInt32BE(0) & STREAM_ID_MASK;
        return { type: type === FrameType.HEADERS ? 'headers' : 'syn_reply', streamId, fin, headers: this.headerBlock(payload.subarray(4), streamId) };
      }
      case FrameType.RST_STREAM:
        need(8, 'RST_STREAM');
        return { type: 'rst_stream', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
      case FrameType.SETTINGS: {
        need(4, 'SETTINGS');
        const count = payload.readUInt32BE(0);
        if (payload.length !== 4 + count * 8) throw new SpdyProtocolError(`SETTINGS frame of ${payload.length} bytes cannot hold ${count} entries`);
        const entries = [];
        for (let i = 0; i < count; i++) {
          const fid = payload.readUInt32BE(4 + i * 8);
          entries.push({ flags: fid >>> 24, id: fid & 0xffffff, value: payload.readUInt32BE(8 + i * 8) });
        }
        return { type: 'settings', entries };
      }
      case FrameType.PING:
        need(4, 'PING');
        return { type: 'ping', id: payload.readUInt32BE(0) };
      case FrameType.GOAWAY:
        need(4, 'GOAWAY');
        return { type: 'goaway', lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.length >= 8 ? payload.readUInt32BE(4) : 0 };
      case FrameType.WINDOW_UPDATE:
        need(8, 'WINDOW_UPDATE');
        return { type: 'window_update', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, delta: payload.readUInt32BE(4) & STREAM_ID_MASK };
      default:
        // The spec: unknown control frames are ignored.
        return { type: 'unknown', frameType: type, flags };
    }
  }

  private headerBlock(compressed: Buffer, streamId: number): HeaderMap {
    let block: Buffer;
    try {
      block = this.decompressor.decompress(compressed);
    } catch (err) {
      // The shared compression context is now out of step: the whole connection is lost.
      throw new SpdyProtocolError(`header block does not decompress: ${(err as Error).message}`);
    }
    return decodeHeaderBlock(block, streamId);
  }
}
