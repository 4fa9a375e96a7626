/**
 * ResponseParser reads HTTP/1.1 responses from a byte stream and reports them to a ResponseSink: the
 * status line and headers, bodies framed by Content-Length, by chunked coding (extensions and trailers)
 * or by the connection's close, 1xx heads skipped, no body after HEAD, 204 and 304, and whether the
 * connection may carry another response. It does no I/O and keeps no timers: a test feeds it bytes,
 * H1Client feeds it each socket read.
 */

/** expectResponse flag: the request was HEAD, so its response has no body whatever its headers say. */
export const EXPECT_NO_BODY = 1;
/** expectResponse flag: the handler reads the header list (without it onResponseHead gets NO_HEADERS). */
export const EXPECT_HEADERS = 2;
/** expectResponse result: no request waits for a response (the bytes are a protocol error). */
export const NO_REQUEST = -1;
/** MAX_HEAD_BYTES bounds a response head (undici's default maxHeaderSize is 16 KiB; this allows more). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** MAX_LINE_BYTES bounds a chunk-size or trailer line. */
export const MAX_LINE_BYTES = 4096;
/** The trailer list of a response without trailers (nearly all): one shared empty list, never written. */
export const NO_TRAILERS: string[] = Object.freeze([]) as unknown as string[];
/** The header list onResponseHead gets without EXPECT_HEADERS: one shared empty list, never written. */
export const NO_HEADERS: string[] = Object.freeze([]) as unknown as string[];

/**
 * ResponseSink receives what a ResponseParser reads, in stream order. Any call may reset the parser
 * (the connection went): the parser then stops reading the bytes it was fed.
 */
export interface ResponseSink {
  /** expectResponse is asked as each response head begins: EXPECT_* flags of the request it answers, or NO_REQUEST. */
  expectResponse(): number;
  /** onResponseHead reports a final head (1xx heads are skipped); rawHeaders is the name, value, … list. */
  onResponseHead(status: number, rawHeaders: string[], statusText: string): void;
  /** onResponseBody reports body bytes chunk[from, to), never empty; `chunk` is the fed buffer, valid during the call only. */
  onResponseBody(chunk: Buffer, from: number, to: number): void;
  /** onResponseEnd ends the response; keepAlive false: no further response follows on this connection. */
  onResponseEnd(trailers: string[], keepAlive: boolean): void;
  /** onProtocolError reports bytes that are no valid response; the parser reads nothing more until reset. */
  onProtocolError(message: string): void;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');

const enum St {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Failed,
}

/** decimal parses a Content-Length value: digits only, at most 15 of them; -1 otherwise. */
function decimal(s: string): number {
  if (s.length === 0 || s.length > 15) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * nameIs tells whether `text` holds the header name `lower` (lower-case letters and '-') at `from`,
 * in any letter case, without cutting the name out or lower-casing it.
 */
function nameIs(text: string, from: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const c = text.charCodeAt(from + i);
    const l = lower.charCodeAt(i);
    if (c !== l && (l < 97 || c + 32 !== l)) return false;
  }
  return true;
}

/** ResponseParser parses one connection's responses (see the module comment); one per connection, one thread. */
export class ResponseParser {
  private st = St.Head;
  /** A head that came in several reads: its parts so far (copies when the fed buffers are borrowed). */
  private headParts: Buffer[] = [];
  private headBytes = 0;
  /** Bytes left in the Content-Length body or the current chunk. */
  private remaining = 0;
  /** A chunk-size or trailer line that came in several reads, so far. */
  private line = '';
  private trailers: string[] = [];
  private keepAlive = true;
  /** expectResponse's flags for the response being read. */
  private expect = 0;
  /** Bumped by reset: a feed stops when a sink call reset the parser. */
  private generation = 0;

  /**
   * `borrowed`: every fed buffer is lent for the call only (a shared read buffer whose bytes past `n`
   * are an older read's), so a partial head is copied before it is kept.
   */
  constructor(
    private readonly sink: ResponseSink,
    private readonly borrowed = false,
  ) {}

  /** reset forgets any partly read response (a new connection starts); a feed in progress stops. */
  reset(): void {
    this.generation++;
    this.st = St.Head;
    if (this.headParts.length > 0) this.headParts = [];
    this.headBytes = 0;
    this.line = '';
    this.keepAlive = true;
  }

  /**
   * finish reports the end of the stream: a body delimited by the close ends now (true); anything
   * else partly read is left to the caller to fail (false).
   */
  finish(): boolean {
    if (this.st !== St.UntilClose) return false;
    this.end(NO_TRAILERS);
    return true;
  }

  /**
   * feed parses chunk[0, n), the next bytes of the stream. Every search in `chunk` checks that what it
   * found ends before n: with a shared read buffer, bytes from n on are an older read's.
   */
  feed(chunk: Buffer, n: number): void {
    const gen = this.generation;
    let off = 0;
    while (off < n && this.generation === gen) {
      switch (this.st) {
        case St.Head: {
          if (this.headParts.length === 0) {
            const e = this.sink.expectResponse();
            if (e < 0) {
              this.fail('response without a request');
              return;
            }
            this.expect = e;
          }
          let buf = chunk;
          let from = off;
          let end: number;
          if (this.headParts.length > 0) {
            this.headParts.push(chunk.subarray(off, n));
            const prev = this.headBytes;
            buf = Buffer.concat(this.headParts);
            from = 0;
            const at = buf.indexOf(CRLF_CRLF, Math.max(0, prev - 3));
            if (at < 0) {
              this.headParts = [buf];
              this.headBytes = buf.length;
              if (buf.length > MAX_HEAD_BYTES) this.fail('response head too large');
              return;
            }
            end = at;
            off = n - (buf.length - (at + 4)); // continue in `chunk` after the head
            this.headParts = [];
            this.headBytes = 0;
          } else {
            const at = chunk.indexOf(CRLF_CRLF, off);
            if (at < 0 || at + 4 > n) {
              this.headParts = [this.borrowed ? Buffer.from(chunk.subarray(off, n)) : chunk.subarray(off, n)];
              this.headBytes = n - off;
              if (this.headBytes > MAX_HEAD_BYTES) this.fail('response head too large');
              return;
            }
            end = at;
            off = at + 4;
          }
          if (end - from > MAX_HEAD_BYTES) {
            this.fail('response head too large');
            return;
          }
          if (!this.onHead(buf.toString('latin1', from, end), gen)) return;
          break;
        }
        case St.Length: {
          const take = Math.min(this.remaining, n - off);
          this.remaining -= take;
          this.sink.onResponseBody(chunk, off, off + take);
          off += take;
          if (this.generation !== gen) return;
          if (this.remaining === 0) this.end(NO_TRAILERS);
          break;
        }
        case St.UntilClose: {
          this.sink.onResponseBody(chunk, off, n);
          off = n;
          break;
        }
        case St.ChunkData: {
          const take = Math.min(this.remaining, n - off);
          this.remaining -= take;
          this.sink.onResponseBody(chunk, off, off + take);
          off += take;
          if (this.generation !== gen) return;
          if (this.remaining === 0) this.st = St.ChunkEnd;
          break;
        }
        case St.Failed:
          return;
        default: {
          // Line-based states: chunk size, the CRLF after chunk data, trailers.
          const nl = chunk.indexOf(10, off);
          if (nl < 0 || nl >= n) {
            this.line += chunk.toString('latin1', off, n);
            if (this.line.length > MAX_LINE_BYTES) this.fail('chunk line too long');
            return;
          }
          let line = this.line + chunk.toString('latin1', off, nl);
          this.line = '';
          off = nl + 1;
          if (line.endsWith('\r')) line = line.slice(0, -1);
          if (!this.onLine(line, gen)) return;
        }
      }
    }
  }

  /** onHead reads a response head (without its final CRLF CRLF); false when parsing stops. */
  private onHead(text: string, gen: number): boolean {
    // Status line: HTTP/1.x SSS reason
    if (!text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32) return this.fail('invalid status line');
    const minor = text.charCodeAt(7) - 48;
    const d0 = text.charCodeAt(9) - 48;
    const d1 = text.charCodeAt(10) - 48;
    const d2 = text.charCodeAt(11) - 48;
    if (!(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) || (text.length > 12 && text.charCodeAt(12) !== 32)) return this.fail('invalid status code');
    const status = d0 * 100 + d1 * 10 + d2;
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const statusText = eol > 13 ? text.slice(13, eol) : '';
    const keepRaw = (this.expect & EXPECT_HEADERS) !== 0;
    const raw: string[] = keepRaw ? [] : NO_HEADERS;
    let contentLength = -1;
    let chunked = false;
    let connection = '';
    let pos = eol + 2;
    while (pos < text.length) {
      let next = text.indexOf('\r\n', pos);
      if (next < 0) next = text.length;
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon > next || colon === pos) return this.fail('invalid header line');
      const c0 = text.charCodeAt(pos);
      if (c0 === 32 || c0 === 9) return this.fail('folded header line');
      const nameLength = colon - pos;
      // Without a header list to fill, only the three names below need cutting out.
      if (!keepRaw && nameLength !== 10 && nameLength !== 14 && nameLength !== 17) {
        pos = next + 2;
        continue;
      }
      // "Name: value" is the usual form: trim only when there is more white space than one leading space.
      let from = colon + 1;
      if (text.charCodeAt(from) === 32) from++;
      let value = text.slice(from, next);
      const first = value.charCodeAt(0);
      const last = value.charCodeAt(value.length - 1);
      if (first === 32 || first === 9 || last === 32 || last === 9) value = value.trim();
      if (keepRaw) raw.push(text.slice(pos, colon), value);
      switch (nameLength) {
        case 14:
          if (nameIs(text, pos, 'content-length')) {
            const v = decimal(value);
            if (v < 0 || (contentLength >= 0 && contentLength !== v)) return this.fail('invalid content-length');
            contentLength = v;
          }
          break;
        case 17:
          if (nameIs(text, pos, 'transfer-encoding')) chunked = /(^|,)\s*chunked\s*$/i.test(value);
          break;
        case 10:
          if (nameIs(text, pos, 'connection')) connection = value === 'keep-alive' || value === 'close' ? value : value.toLowerCase();
          break;
      }
      pos = next + 2;
    }
    if (status < 200) {
      if (status === 101) return this.fail('unexpected upgrade');
      return true; // 1xx informational: the real response follows
    }
    this.keepAlive =
      connection === '' ? minor >= 1 : connection === 'keep-alive' || (minor >= 1 ? !/(^|,)\s*close\s*(,|$)/.test(connection) : /(^|,)\s*keep-alive\s*(,|$)/.test(connection));
    this.sink.onResponseHead(status, raw, statusText);
    if (this.generation !== gen) return false;
    if ((this.expect & EXPECT_NO_BODY) !== 0 || status === 204 || status === 304) {
      this.end(NO_TRAILERS);
    } else if (chunked) {
      this.st = St.ChunkSize;
    } else if (contentLength >= 0) {
      if (contentLength === 0) this.end(NO_TRAILERS);
      else {
        this.remaining = contentLength;
        this.st = St.Length;
      }
    } else {
      this.keepAlive = false;
      this.st = St.UntilClose;
    }
    return this.generation === gen;
  }

  /** onLine reads a line of a chunked body (chunk size, the CRLF after chunk data, a trailer); false when parsing stops. */
  private onLine(line: string, gen: number): boolean {
    switch (this.st) {
      case St.ChunkSize: {
        const semi = line.indexOf(';');
        const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
        if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return this.fail('invalid chunk size');
        const size = parseInt(hex, 16);
        if (size === 0) {
          this.st = St.Trailers;
          this.trailers = [];
        } else {
          this.remaining = size;
          this.st = St.ChunkData;
        }
        return true;
      }
      case St.ChunkEnd:
        if (line !== '') return this.fail('missing CRLF after chunk');
        this.st = St.ChunkSize;
        return true;
      case St.Trailers: {
        if (line === '') {
          this.end(this.trailers.length > 0 ? this.trailers : NO_TRAILERS);
          return this.generation === gen;
        }
        const colon = line.indexOf(':');
        if (colon <= 0) return this.fail('invalid trailer line');
        this.trailers.push(line.slice(0, colon), line.slice(colon + 1).trim());
        return true;
      }
      default:
        return this.fail('unexpected line');
    }
  }

  /** end ends the current response; the next bytes begin a new head. */
  private end(trailers: string[]): void {
    this.st = St.Head;
    this.sink.onResponseEnd(trailers, this.keepAlive);
  }

  /** fail stops parsing until reset and reports why. */
  private fail(message: string): false {
    this.st = St.Failed;
    this.sink.onProtocolError(message);
    return false;
  }
}
