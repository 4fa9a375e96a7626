/**
 * The per-thread read buffer of H1Client's plain-TCP sockets: net.connect's `onread` reads every such
 * socket of the thread into one buffer and hands each read to the client holding the socket, so no
 * Buffer is made per read and the stream machinery behind 'data' events is skipped (see
 * docs/architecture.md, HTTP clients). Parsing is synchronous, so one buffer serves all sockets;
 * whatever outlives a read (a partial head, body chunks kept by a handler) must be copied.
 */
import type { Socket } from 'node:net';

/** READ_BUFFER is the one buffer this thread's shared-read sockets read into. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
/** The reader of a socket made with SHARED_ONREAD, set while a client holds it. */
const kReader = Symbol('racerig.h1.reader');

/** SocketReader takes one read of `n` bytes into `buf` (READ_BUFFER) on socket `from`; false pauses the socket. */
export type SocketReader = (from: Socket, n: number, buf: Uint8Array) => boolean;

type ReadSocket = Socket & { [kReader]?: SocketReader };

/** net.connect's `onread` for READ_BUFFER: a read goes to the socket's reader; with none (a pre-connected socket not handed out yet) it is dropped. */
const SHARED_ONREAD = {
  buffer: READ_BUFFER,
  callback(this: ReadSocket, n: number, buf: Uint8Array): boolean {
    const reader = this[kReader];
    return reader ? reader(this, n, buf) : true;
  },
};

/** sharedReadOptions are the connector options (undici's `buildConnector`) for plain-TCP sockets an H1Client with `sharedRead` reads into its thread's one buffer. */
export function sharedReadOptions(): { onread: typeof SHARED_ONREAD } {
  return { onread: SHARED_ONREAD };
}

/** readWith routes a shared-read socket's reads to `reader` from now on (the socket must come from sharedReadOptions()). */
export function readWith(socket: Socket, reader: SocketReader): void {
  (socket as ReadSocket)[kReader] = reader;
}
