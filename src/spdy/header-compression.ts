/**
 * SPDY/3 header-block compression: zlib with the protocol's preset dictionary, one compression
 * context per direction for the whole connection, each header block ended by a sync flush.
 *
 * A context is kept as its 32 KiB window (the dictionary followed by every header block so far):
 * after a sync flush the next block starts on a byte boundary and refers back only into that window,
 * so each block is compressed (or decompressed) on its own with raw deflate, the window as its
 * dictionary. The bytes are those of one continuous zlib stream, and the work is synchronous, per frame.
 */
import { deflateRawSync, deflateSync, inflateRawSync, inflateSync, constants } from 'node:zlib';

const WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
  'origin',
];
const TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

function buildDictionary(): Buffer {
  const parts: Buffer[] = [];
  for (const w of WORDS) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    parts.push(len, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(TAIL, 'latin1'));
  return Buffer.concat(parts);
}

/** SPDY3_DICTIONARY is the SPDY/3 preset zlib dictionary (1423 bytes: length-prefixed header words, then common values). */
export const SPDY3_DICTIONARY: Buffer = buildDictionary();

const WINDOW = 32 * 1024;
const SYNC = { finishFlush: constants.Z_SYNC_FLUSH };

/** MAX_HEADER_BLOCK_BYTES bounds one decompressed header block, in bytes (a larger one is a protocol error). */
export const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

class Window {
  private window: Buffer = SPDY3_DICTIONARY;
  started = false;
  get(): Buffer {
    return this.window;
  }
  append(data: Buffer): void {
    const joined = Buffer.concat([this.window, data]);
    this.window = joined.length > WINDOW ? joined.subarray(joined.length - WINDOW) : joined;
    this.started = true;
  }
}

/** HeaderCompressor compresses the header blocks one side sends, in order, as one zlib stream; not safe to share between connections. */
export class HeaderCompressor {
  private readonly window = new Window();

  /** compress returns the compressed bytes of one header block (the first carries the zlib header and dictionary id). */
  compress(block: Buffer): Buffer {
    const out = this.window.started
      ? deflateRawSync(block, { ...SYNC, dictionary: this.window.get() })
      : deflateSync(block, { ...SYNC, dictionary: SPDY3_DICTIONARY });
    this.window.append(block);
    return out;
  }
}

/** HeaderDecompressor decompresses the header blocks one side receives, in order, as one zlib stream; it throws on corrupt input. */
export class HeaderDecompressor {
  private readonly window = new Window();

  /** decompress returns the header block carried by `compressed` (one frame's compressed bytes). */
  decompress(compressed: Buffer): Buffer {
    const opts = { ...SYNC, maxOutputLength: MAX_HEADER_BLOCK_BYTES };
    const out = this.window.started
      ? inflateRawSync(compressed, { ...opts, dictionary: this.window.get() })
      : inflateSync(compressed, { ...opts, dictionary: SPDY3_DICTIONARY });
    this.window.append(out);
    return out;
  }
}
