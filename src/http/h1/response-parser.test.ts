/**
 * ResponseParser without sockets: responses fed as bytes, split at every boundary, must read the same
 * as when fed whole; framing, keep-alive decisions and protocol errors are checked directly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXPECT_HEADERS, EXPECT_NO_BODY, MAX_HEAD_BYTES, NO_REQUEST, ResponseParser, type ResponseSink } from './response-parser.js';

interface Response {
  status: number;
  statusText: string;
  headers: string[];
  body: string;
  trailers: string[];
  keepAlive: boolean;
}

/** Recorder is a sink that answers expectResponse from a list (one entry per request) and records what it is told. */
class Recorder implements ResponseSink {
  readonly responses: Response[] = [];
  readonly errors: string[] = [];
  readonly bodyCalls: number[] = [];
  private current: Response | null = null;
  expectCalls = 0;
  onHead: ((r: Response) => void) | undefined;

  constructor(private readonly expects: number[]) {}

  expectResponse(): number {
    this.expectCalls++;
    const i = this.responses.length;
    return i < this.expects.length ? this.expects[i]! : NO_REQUEST;
  }
  onResponseHead(status: number, rawHeaders: string[], statusText: string): void {
    assert.equal(this.current, null, 'a head while a response is open');
    this.current = { status, statusText, headers: [...rawHeaders], body: '', trailers: [], keepAlive: true };
    this.onHead?.(this.current);
  }
  onResponseBody(chunk: Buffer, from: number, to: number): void {
    assert.ok(to > from, 'no empty body call');
    assert.ok(to <= chunk.length);
    this.bodyCalls.push(to - from);
    this.current!.body += chunk.toString('latin1', from, to);
  }
  onResponseEnd(trailers: string[], keepAlive: boolean): void {
    const r = this.current!;
    r.trailers = [...trailers];
    r.keepAlive = keepAlive;
    this.responses.push(r);
    this.current = null;
  }
  onProtocolError(message: string): void {
    this.errors.push(message);
  }
}

/** run feeds `bytes` cut at `cuts`; with `shared`, each piece is copied into one reused buffer whose tail holds stale bytes. */
function run(bytes: string, expects: number[], cuts: number[] = [], shared = false): Recorder {
  const sink = new Recorder(expects);
  const parser = new ResponseParser(sink, shared);
  const all = Buffer.from(bytes, 'latin1');
  const scratch = Buffer.alloc(all.length + 64, '\r\n\r\n0\r\n\r\n');
  const points = [0, ...cuts.filter((c) => c > 0 && c < all.length), all.length];
  for (let i = 0; i + 1 < points.length; i++) {
    const piece = all.subarray(points[i], points[i + 1]);
    if (shared) {
      scratch.fill('\r\n\r\n0\r\n\r\n');
      piece.copy(scratch, 0);
      parser.feed(scratch, piece.length);
    } else parser.feed(Buffer.from(piece), piece.length);
  }
  return sink;
}

const H = EXPECT_HEADERS;

/** One stream of pipelined responses covering every framing, and what each request expects. */
const STREAM: Array<[string, number]> = [
  ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello', H],
  ['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok', H],
  ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1;q="a"\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t1\r\nX-More:  t2 \r\n\r\n', H],
  ['HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n', H],
  ['HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n', H],
  ['HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n', H | EXPECT_NO_BODY],
  ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 0],
  ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n', H],
];
const STREAM_BYTES = STREAM.map(([b]) => b).join('');
const STREAM_EXPECTS = STREAM.map(([, e]) => e);

test('ResponseParser reads pipelined responses of every framing from one buffer', () => {
  const r = run(STREAM_BYTES, STREAM_EXPECTS);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(
    r.responses.map((x) => [x.status, x.statusText, x.body, x.keepAlive]),
    [
      [200, 'OK', 'hello', true],
      [201, 'Created', 'ok', true],
      [200, 'OK', 'abc0123456789abcdef', true],
      [204, 'No Content', '', true],
      [304, 'Not Modified', '', true],
      [200, 'OK', '', true],
      [404, 'Not Found', '', true],
      [200, 'OK', 'hi', false],
    ],
  );
  assert.deepEqual(r.responses[0]!.headers, ['Content-Length', '5', 'X-A', '1']);
  assert.deepEqual(r.responses[2]!.trailers, ['X-Trailer', 't1', 'X-More', 't2']);
  assert.deepEqual(r.responses[0]!.trailers, []);
  assert.deepEqual(r.responses[6]!.headers, [], 'no header list without EXPECT_HEADERS');
});

test('ResponseParser reads the same when the stream is split at any byte, once or at every byte, into private or shared buffers', () => {
  const whole = run(STREAM_BYTES, STREAM_EXPECTS);
  for (const shared of [false, true]) {
    for (let cut = 1; cut < STREAM_BYTES.length; cut++) {
      const r = run(STREAM_BYTES, STREAM_EXPECTS, [cut], shared);
      assert.deepEqual(r.errors, [], `cut at ${cut}`);
      assert.deepEqual(r.responses, whole.responses, `cut at ${cut}${shared ? ', shared' : ''}`);
    }
    const bytewise = run(STREAM_BYTES, STREAM_EXPECTS, Array.from({ length: STREAM_BYTES.length }, (_, i) => i), shared);
    assert.deepEqual(bytewise.responses, whole.responses, `every byte${shared ? ', shared' : ''}`);
  }
});

test('ResponseParser frames a body by the close when it has no length, and ends it on finish', () => {
  const sink = new Recorder([H]);
  const parser = new ResponseParser(sink);
  const bytes = Buffer.from('HTTP/1.1 200 OK\r\n\r\nuntil the ');
  parser.feed(bytes, bytes.length);
  const more = Buffer.from('close');
  parser.feed(more, more.length);
  assert.equal(sink.responses.length, 0);
  assert.equal(parser.finish(), true);
  assert.deepEqual(sink.responses.map((x) => [x.body, x.keepAlive]), [['until the close', false]]);
  assert.equal(parser.finish(), false, 'nothing left to end');
});

test('ResponseParser decides keep-alive from the version and the Connection header', () => {
  const cases: Array<[string, boolean]> = [
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.1 200 OK\r\nCONNECTION: KEEP-ALIVE\r\nContent-Length: 0\r\n\r\n', true],
  ];
  for (const [bytes, keepAlive] of cases) {
    const r = run(bytes, [0]);
    assert.deepEqual(r.errors, [], bytes);
    assert.equal(r.responses[0]!.keepAlive, keepAlive, bytes);
  }
});

test('ResponseParser reports an invalid chunk size as a protocol error and reads nothing after it', () => {
  for (const size of ['xyz', '', '-1', '1234567890abc']) {
    const bytes = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`;
    for (const cut of [0, 45, 50]) {
      const r = run(bytes, [H, H], [cut]);
      assert.deepEqual(r.errors, ['invalid chunk size'], `size ${JSON.stringify(size)}, cut ${cut}`);
      assert.equal(r.responses.length, 0);
    }
  }
  const noCrlf = run('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n', [H]);
  assert.deepEqual(noCrlf.errors, ['missing CRLF after chunk']);
});

test('ResponseParser refuses a head larger than MAX_HEAD_BYTES, in one read or many', () => {
  const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\nContent-Length: 0\r\n\r\n`;
  assert.deepEqual(run(big, [H]).errors, ['response head too large']);
  const unfinished = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES + 10)}`;
  assert.deepEqual(run(unfinished, [H]).errors, ['response head too large']);
  assert.deepEqual(run(unfinished, [H], [10, 30_000, 60_000], true).errors, ['response head too large']);
  const justFits = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES - 100)}\r\nContent-Length: 0\r\n\r\n`;
  const ok = run(justFits, [H], [7, 40_000]);
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.responses[0]!.headers[1]!.length, MAX_HEAD_BYTES - 100);
});

test('ResponseParser reports malformed heads, unexpected upgrades and responses nobody asked for', () => {
  const cases: Array<[string, string]> = [
    ['HTTP/2 200 OK\r\n\r\n', 'invalid status line'],
    ['HTTP/1.1 20 OK\r\n\r\n', 'invalid status code'],
    ['HTTP/1.1 200 OK\r\nNoColon\r\n\r\n', 'invalid header line'],
    ['HTTP/1.1 200 OK\r\nA: 1\r\n folded: x\r\n\r\n', 'folded header line'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', 'invalid content-length'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n', 'invalid content-length'],
    ['HTTP/1.1 101 Switching Protocols\r\n\r\n', 'unexpected upgrade'],
  ];
  for (const [bytes, error] of cases) assert.deepEqual(run(bytes, [H]).errors, [error], bytes);
  const extra = run('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n', [H]);
  assert.equal(extra.responses.length, 1);
  assert.deepEqual(extra.errors, ['response without a request']);
});

test('ResponseParser stops the current feed when a sink call resets it, and reads a fresh stream after', () => {
  const sink = new Recorder([H, H, H]);
  const parser = new ResponseParser(sink);
  sink.onHead = () => {
    sink.onHead = undefined;
    parser.reset(); // the connection went inside the handler
  };
  const first = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  parser.feed(first, first.length);
  assert.equal(sink.bodyCalls.length, 0, 'nothing read after the reset');
  assert.equal(sink.responses.length, 0);
  // The sink's open response is abandoned with the connection; the next stream starts clean.
  (sink as unknown as { current: null }).current = null;
  const next = Buffer.from('HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok');
  parser.feed(next, next.length);
  assert.deepEqual(sink.responses.map((x) => [x.status, x.body]), [[202, 'ok']]);
});

test('ResponseParser passes body ranges of the fed buffer without copying and never an empty one', () => {
  const r = run('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789', [0], [40, 41, 45]);
  assert.deepEqual(r.bodyCalls.reduce((a, b) => a + b, 0), 10);
  assert.equal(r.responses[0]!.body, '0123456789');
});
