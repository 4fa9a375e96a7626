/**
 * The raw handler interface between racerig's HTTP/1.1 client (H1Client) and its metrics wrapper:
 * undici's raw dispatch handler methods plus optional capabilities that let the client skip work
 * nobody reads. Both sides import these types; undici's own Client calls only the raw methods.
 */
import type { Duplex } from 'node:stream';

/**
 * RawHandlerCapabilities are what a raw handler may tell H1Client it does not need. Each is read by
 * the client, never set by it; a handler without them gets everything, as from undici's Client.
 */
export interface RawHandlerCapabilities {
  /**
   * true: the handler never reads the header list onHeaders gets, so H1Client passes an empty one
   * and does not cut the header lines into names and values (it still reads Content-Length,
   * Transfer-Encoding and Connection). Read once per response, as its head begins.
   */
  readonly ignoresHeaders?: boolean;
  /**
   * true: the handler only counts the body's bytes for now, so H1Client calls onDataLength with the
   * chunk's length instead of onData, and neither cuts nor copies the chunk. Read for every body chunk.
   */
  readonly countsBodyOnly?: boolean;
  /** onDataLength counts `length` body bytes (instead of onData, see countsBodyOnly); false pauses the response. */
  onDataLength?(length: number): boolean;
}

/**
 * RawHandler is undici's raw dispatch handler interface (what undici's Client and H1Client call) with
 * racerig's capabilities. Header and trailer lists are flat name, value, … lists: strings from H1Client,
 * Buffers from undici's Client.
 */
export interface RawHandler extends RawHandlerCapabilities {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void;
  /** onHeaders gets each head (1xx too, from undici's Client); false pauses the response until `resume`. */
  onHeaders?(statusCode: number, rawHeaders: Buffer[] | string[], resume: () => void, statusText?: string): boolean;
  onUpgrade?(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: Duplex): void;
  /** onData gets a body chunk; false pauses the response until `resume`. */
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: Buffer[] | string[] | null): void;
  onError?(err: Error): void;
}
