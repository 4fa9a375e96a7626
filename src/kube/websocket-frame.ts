/**
 * The small part of WebSocket (RFC 6455) that exec needs, on a socket undici already upgraded:
 * client frames (always masked) and a decoder of server frames that joins fragmented messages.
 * Hand-written because `ws` has no public way to speak the client side over an existing socket.
 */
import { createHash, randomFillSync } from 'node:crypto';

/** OPCODES are the frame opcodes exec uses. */
export const OPCODES = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** acceptKey returns the Sec-WebSocket-Accept value a server must answer to `key`. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** encodeClientFrame returns one final, masked client frame with `opcode` and `payload`. */
export function encodeClientFrame(opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length;
  const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLen + 4 + len);
  frame[0] = 0x80 | opcode;
  if (len < 126) frame[1] = 0x80 | len;
  else if (len < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    frame.writeUInt32BE(len >>> 0, 6);
  }
  const maskAt = headerLen;
  randomFillSync(frame, maskAt, 4);
  for (let i = 0; i < len; i++) frame[maskAt + 4 + i] = payload[i]! ^ frame[maskAt + (i & 3)]!;
  return frame;
}

/** WebSocketMessage is one complete message (fragments joined) or control frame. */
export interface WebSocketMessage {
  opcode: number;
  payload: Buffer;
}

/** FrameDecoder turns socket chunks into messages; not thread-shared (one per connection). */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;

  constructor(private readonly onMessage: (m: WebSocketMessage) => void) {}

  /** push feeds socket bytes; throws on a protocol violation (the caller closes the socket). */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = (b[0]! & 0x80) !== 0;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = b.readUInt32BE(2) * 2 ** 32 + b.readUInt32BE(6);
        at = 10;
      }
      const maskAt = at;
      if (masked) at += 4;
      if (b.length < at + len) return;
      let payload = b.subarray(at, at + len);
      if (masked) {
        payload = Buffer.from(payload);
        for (let i = 0; i < len; i++) payload[i]! ^= b[maskAt + (i & 3)]!;
      }
      this.buf = b.subarray(at + len);
      this.frame(fin, opcode, payload);
    }
  }

  private frame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode >= 0x8) {
      this.onMessage({ opcode, payload });
      return;
    }
    if (opcode === OPCODES.continuation) {
      if (this.fragments.length === 0) throw new Error('websocket: continuation frame without a first fragment');
      this.fragments.push(payload);
    } else {
      if (this.fragments.length > 0) throw new Error('websocket: new message before the last one finished');
      if (fin) {
        this.onMessage({ opcode, payload });
        return;
      }
      this.fragmentOpcode = opcode;
      this.fragments.push(payload);
    }
    if (fin) {
      const whole = Buffer.concat(this.fragments);
      this.fragments = [];
      this.onMessage({ opcode: this.fragmentOpcode, payload: whole });
    }
  }
}
