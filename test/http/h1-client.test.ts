/**
 * H1Client against real sockets: for every response framing a server may use, split into TCP writes
 * at every boundary, it must give a real client (undici's `request`) what undici's own Client gives;
 * it must send exactly the request bytes undici would mean; and its failures must count as the same
 * error kinds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Client, request } from 'undici';
import { H1Client } from '../../src/http/h1/client.js';
import { errorKind } from '../../src/http/error-kind.js';
import { metricsInterceptor } from '../../src/http/interceptors/metrics.js';
import { MetricsRecorder } from '../../src/metrics/recorder.js';
import { allocateMetrics, createLayout } from '../../src/metrics/layout.js';
import { Snapshot } from '../../src/metrics/snapshot.js';

/** rawServer answers each request head it reads with the next of `responses`, written in `pieces` (byte offsets to split at). */
async function rawServer(
  respond: (requestNo: number, head: string) => { bytes: string; split?: number[]; close?: boolean } | null,
): Promise<{ url: string; heads: string[]; close(): Promise<void> }> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    s.on('data', async (d) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        let head = buf.slice(0, end + 4);
        const len = /content-length: (\d+)/i.exec(head);
        const total = end + 4 + (len ? Number(len[1]) : 0);
        if (buf.length < total) return;
        head = buf.slice(0, total);
        buf = buf.slice(total);
        heads.push(head);
        const r = respond(heads.length - 1, head);
        if (!r) continue;
        const cuts = [0, ...(r.split ?? []).filter((c) => c > 0 && c < r.bytes.length), r.bytes.length];
        for (let i = 0; i + 1 < cuts.length; i++) {
          s.write(Buffer.from(r.bytes.slice(cuts[i], cuts[i + 1]), 'latin1'));
          if (cuts.length > 2) await new Promise((res) => setTimeout(res, 1));
        }
        if (r.close) {
          s.end(); // like a real server: nothing more is read or answered on this connection
          s.removeAllListeners('data');
          return;
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    heads,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Got {
  status: number;
  headers: Record<string, unknown>;
  body: string;
  trailers: Record<string, unknown>;
}

async function fetchWith(dispatcher: Client | H1Client, url: string, method = 'GET'): Promise<Got> {
  const r = await request(url, { method: method as 'GET', dispatcher: dispatcher as unknown as Client });
  const body = await r.body.text();
  const headers = { ...r.headers };
  delete headers.date;
  return { status: r.statusCode, headers, body, trailers: { ...r.trailers } };
}

const CASES: Array<{ name: string; bytes: string; method?: string; close?: boolean }> = [
  { name: 'content-length', bytes: 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\nX-Two: a\r\nX-Two: b\r\n\r\n{"kind":"Ok"}' },
  {
    name: 'chunked with an extension and trailers',
    bytes: 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Sum: 42\r\n\r\n',
  },
  { name: 'chunked, no trailers', bytes: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n' },
  { name: 'empty 200', bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' },
  { name: '204', bytes: 'HTTP/1.1 204 No Content\r\nServer: t\r\n\r\n' },
  { name: 'HEAD with a content-length and no body', method: 'HEAD', bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n' },
  { name: 'error status with a Status body', bytes: 'HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"kind":"Status","reason":"AlreadyExists","x":123}' },
  { name: 'body until the close', bytes: 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it until the end', close: true },
  { name: 'HTTP/1.0 with a content-length', bytes: 'HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc', close: true },
];

test('H1Client gives undici.request what undici\'s Client gives, for every framing split at every byte', async () => {
  for (const c of CASES) {
    const splits: number[][] = [[]];
    for (let i = 1; i < c.bytes.length; i++) splits.push([i]);
    splits.push(Array.from({ length: c.bytes.length }, (_, i) => i)); // one byte per write
    // The reference: undici's Client, unsplit.
    const refServer = await rawServer(() => ({ bytes: c.bytes, close: c.close }));
    const ref = new Client(refServer.url);
    let want: Got;
    try {
      want = await fetchWith(ref, `${refServer.url}/x`, c.method);
    } finally {
      await ref.destroy();
      await refServer.close();
    }
    for (const split of splits) {
      const server = await rawServer(() => ({ bytes: c.bytes, split, close: c.close }));
      const client = new H1Client(server.url);
      try {
        const got = await fetchWith(client, `${server.url}/x`, c.method);
        assert.deepEqual(got, want, `${c.name}, split at ${split.length > 3 ? 'every byte' : JSON.stringify(split)}`);
      } finally {
        await client.destroy();
        await server.close();
      }
    }
  }
});

test('H1Client follows RFC 9110 where undici\'s Client refuses: a 304 has no body whatever its Content-Length, an unasked 1xx is skipped', async () => {
  const server = await rawServer((n) =>
    n === 0
      ? { bytes: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n' }
      : { bytes: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' },
  );
  const client = new H1Client(server.url);
  try {
    const a = await fetchWith(client, `${server.url}/a`);
    assert.equal(a.status, 304);
    assert.equal(a.body, '');
    const b = await fetchWith(client, `${server.url}/b`);
    assert.deepEqual([b.status, b.body], [200, 'ok']);
    assert.equal(server.heads.length, 2, 'both on one connection');
  } finally {
    await client.destroy();
    await server.close();
  }
});

test('H1Client keeps the connection across requests, pipelines in order, and reconnects after Connection: close, sending again what was pipelined behind it', async () => {
  let connections = 0;
  let answered = 0;
  const server = await rawServer(() => {
    const n = answered++;
    const body = `r${n}`;
    return { bytes: `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${n === 1 || n === 5 ? 'Connection: close\r\n' : ''}\r\n${body}`, close: n === 1 || n === 5 };
  });
  const client = new H1Client(server.url, {
    pipelining: 4,
    connect: (opts, cb) => {
      connections++;
      const s = net.connect(Number(opts.port), opts.hostname);
      s.once('connect', () => cb(null, s));
      s.once('error', (e) => cb(e, null));
    },
  });
  const bodies = await Promise.all(Array.from({ length: 6 }, () => fetchWith(client, `${server.url}/p`).then((g) => g.body)));
  assert.deepEqual(bodies, ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'], 'in order; the two pipelined behind r1 went again');
  assert.equal(connections, 2, 'six requests, four pipelined; the second response closed the first connection');
  const after = await fetchWith(client, `${server.url}/p`);
  assert.equal(after.body, 'r6');
  assert.equal(connections, 3, 'a new connection after the server said close again');
  await client.close();
  await server.close();
});

test('H1Client writes the request undici would: host, keep-alive, headers as given, content-length with a body; bad headers are refused', async () => {
  const server = await rawServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' }));
  const client = new H1Client(server.url);
  await request(`${server.url}/a?b=1`, { dispatcher: client as unknown as Client, headers: { accept: 'application/json', 'x-many': ['1', '2'] } }).then((r) => r.body.text());
  await request(`${server.url}/c`, { method: 'POST', dispatcher: client as unknown as Client, body: '{"a":1}', headers: { 'content-type': 'application/json' } }).then((r) => r.body.text());
  await request(`${server.url}/d`, { method: 'PUT', dispatcher: client as unknown as Client }).then((r) => r.body.text());
  const host = new URL(server.url).host;
  assert.equal(server.heads[0], `GET /a?b=1 HTTP/1.1\r\nhost: ${host}\r\naccept: application/json\r\nx-many: 1\r\nx-many: 2\r\nconnection: keep-alive\r\n\r\n`);
  assert.equal(server.heads[1], `POST /c HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\nconnection: keep-alive\r\ncontent-length: 7\r\n\r\n{"a":1}`);
  assert.equal(server.heads[2], `PUT /d HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n`);
  await assert.rejects(
    request(`${server.url}/e`, { dispatcher: client as unknown as Client, headers: { 'x-bad': 'a\r\nx-injected: 1' } }),
    (e: Error & { code?: string }) => e.code === 'UND_ERR_INVALID_ARG',
  );
  assert.equal(server.heads.length, 3, 'nothing was sent for the refused request');
  await client.close();
  await server.close();
});

test('H1Client failures count as the same error kinds as undici\'s Client: reset, timeout, refused, protocol', async () => {
  const kinds = async (make: (url: string) => Client | H1Client, url: string): Promise<string> => {
    const d = make(url);
    try {
      await fetchWith(d, `${url}/k`);
      return 'none';
    } catch (e) {
      return errorKind(e);
    } finally {
      await d.destroy().catch(() => {});
    }
  };
  const reset = await rawServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial', close: true }));
  const silent = await rawServer(() => null);
  const garbage = await rawServer(() => ({ bytes: 'HTTX/9 nonsense\r\n\r\n' }));
  const closed = await rawServer(() => null);
  const refusedUrl = closed.url;
  await closed.close();
  for (const [make, label] of [
    [(u: string) => new Client(u, { headersTimeout: 200 }), 'undici'],
    [(u: string) => new H1Client(u, { headersTimeout: 200 }), 'H1Client'],
  ] as const) {
    assert.equal(await kinds(make, reset.url), 'reset', `${label}: closed mid-body`);
    assert.equal(await kinds(make, silent.url), 'timeout', `${label}: no response head`);
    assert.equal(await kinds(make, refusedUrl), 'refused', `${label}: nothing listening`);
    assert.equal(await kinds(make, garbage.url), 'protocol', `${label}: not HTTP`);
  }
  await Promise.all([reset.close(), silent.close(), garbage.close()]);
});

test('H1Client under the metrics wrapper records what undici\'s Client records (statuses, Status reasons, bytes)', async () => {
  const bodies = ['{"kind":"Status","reason":"Conflict"}', 'ok', '{"kind":"Status","reason":"NotFound"}'];
  const statuses = [409, 200, 404];
  const server = await rawServer((n) => {
    const b = bodies[n % 3]!;
    return { bytes: `HTTP/1.1 ${statuses[n % 3]} X\r\nContent-Length: ${b.length}\r\n\r\n${b}`, split: n % 2 ? [5, 40] : [] };
  });
  const counts = async (make: () => Client | H1Client) => {
    const layout = createLayout(['op']);
    const buffer = allocateMetrics(layout);
    const recorder = new MetricsRecorder(layout, buffer);
    const base = make();
    const d = base.compose(metricsInterceptor({ recorder, clock: () => performance.now() }));
    for (let i = 0; i < 30; i++) {
      await new Promise<void>((resolve, reject) =>
        d.dispatch(
          { method: 'GET', path: '/m', operation: 0 } as never,
          { onRequestStart() {}, onResponseEnd: () => resolve(), onResponseError: (_c: unknown, e: Error) => reject(e) },
        ),
      );
    }
    await base.close();
    const c = Snapshot.take(layout, buffer, 0).counters(0);
    return { requests: c.requests, errors: c.errors, status: c.status, reasons: c.reasons, bytesIn: c.bytesIn, responses: c.responses };
  };
  const viaUndici = await counts(() => new Client(server.url));
  const viaH1 = await counts(() => new H1Client(server.url));
  assert.deepEqual(viaH1, viaUndici);
  assert.deepEqual(viaH1.status, { '200': 10, '404': 10, '409': 10 });
  assert.deepEqual(viaH1.reasons, { Conflict: 10, NotFound: 10 });
  await server.close();
});

test('H1Client bodies stay intact when a slow reader pauses the socket and other connections read meanwhile (reads share one buffer per thread)', async () => {
  // 3 MiB of a pattern that differs at every offset, chunked and with Content-Length, on two connections at once.
  const size = 3 * 1024 * 1024;
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 31 + (i >> 12)) % 251;
  const server = net.createServer((s) => {
    s.on('error', () => {});
    let head = '';
    s.on('data', (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const chunked = head.startsWith('GET /chunked');
      head = '';
      if (chunked) {
        s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
        for (let at = 0; at < size; at += 100_000) {
          const part = body.subarray(at, Math.min(size, at + 100_000));
          s.write(`${part.length.toString(16)}\r\n`);
          s.write(part);
          s.write('\r\n');
        }
        s.write('0\r\n\r\n');
      } else {
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
        s.write(body);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const slow = new H1Client(url);
  const fast = new H1Client(url);
  const read = async (client: H1Client, path: string, delayEvery: number): Promise<Buffer> => {
    const r = await request(`${url}${path}`, { dispatcher: client as unknown as Client, highWaterMark: 16 * 1024 } as never);
    const parts: Buffer[] = [];
    let n = 0;
    for await (const c of r.body) {
      parts.push(c as Buffer);
      if (delayEvery && ++n % delayEvery === 0) await new Promise((res) => setTimeout(res, 2));
    }
    return Buffer.concat(parts);
  };
  try {
    for (const path of ['/length', '/chunked']) {
      const [a, b] = await Promise.all([read(slow, path, 8), read(fast, path, 0)]);
      assert.equal(a.length, size, `${path}: slow reader length`);
      assert.ok(a.equals(body), `${path}: slow reader got the bytes sent`);
      assert.ok(b.equals(body), `${path}: other connection got the bytes sent`);
    }
  } finally {
    await Promise.all([slow.close(), fast.close()]);
    server.close();
  }
});

test('H1Client with lendBodyChunks hands handlers views of its shared read buffer; by default each chunk is a copy of its own', async () => {
  // A body written in pieces, so that it arrives in several reads.
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      let i = 0;
      const next = (): void => {
        if (i++ === 8) return void s.write('0\r\n\r\n');
        s.write(`5\r\nline${i}\r\n`);
        setTimeout(next, 5);
      };
      next();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const chunksOf = async (lend: boolean): Promise<{ text: string; buffers: Set<ArrayBufferLike>; chunks: number }> => {
    const client = new H1Client(url, { lendBodyChunks: lend });
    const buffers = new Set<ArrayBufferLike>();
    let text = '';
    let chunks = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        client.dispatch(
          { method: 'GET', path: '/', origin: url },
          {
            onRequestStart() {},
            onResponseStart() {},
            onResponseData(_c: unknown, chunk: Buffer) {
              chunks++;
              buffers.add(chunk.buffer);
              text += chunk.toString('latin1'); // read during the call, as a lent chunk must be
            },
            onResponseEnd: () => resolve(),
            onResponseError: (_c: unknown, err: Error) => reject(err),
          } as never,
        );
      });
    } finally {
      await client.close();
    }
    return { text, buffers, chunks };
  };
  try {
    const lent = await chunksOf(true);
    const copied = await chunksOf(false);
    const want = Array.from({ length: 8 }, (_, i) => `line${i + 1}`).join('');
    assert.equal(lent.text, want);
    assert.equal(copied.text, want);
    assert.ok(lent.chunks >= 4 && copied.chunks >= 4, `several reads: ${lent.chunks}, ${copied.chunks}`);
    assert.equal(lent.buffers.size, 1, 'lent chunks all view the one read buffer');
    // Copies are Buffers of their own (small ones may share Node's Buffer pool), never views of the read buffer.
    const readBuffer = [...lent.buffers][0]!;
    assert.ok(![...copied.buffers].includes(readBuffer), 'copied chunks are not views of the read buffer');
  } finally {
    server.close();
  }
});

/** rawFetch dispatches one request to `client` with a raw handler (as the metrics wrapper is), saying whether it ignores headers. */
function rawFetch(client: H1Client, method: string, ignoresHeaders: boolean): Promise<{ status: number; raw: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let raw: string[] = [];
    const chunks: Buffer[] = [];
    const handler = {
      ignoresHeaders,
      onConnect() {},
      onHeaders(s: number, r: string[]) {
        status = s;
        raw = [...r];
        return true;
      },
      onData(c: Buffer) {
        chunks.push(Buffer.from(c));
        return true;
      },
      onComplete() {
        resolve({ status, raw, body: Buffer.concat(chunks).toString('latin1') });
      },
      onError: reject,
    };
    client.dispatch({ method: method as 'GET', path: '/x' }, handler as unknown as Parameters<H1Client['dispatch']>[1]);
  });
}

/** forEachFraming runs `check` against every case, delivered whole and split at every byte, on a fresh server and H1Client each time. */
async function forEachFraming(cases: ReadonlyArray<(typeof CASES)[number]>, check: (c: (typeof CASES)[number], split: number[], client: H1Client) => Promise<void>): Promise<void> {
  for (const c of cases) {
    for (const split of [[], Array.from({ length: c.bytes.length }, (_, i) => i)]) {
      const server = await rawServer(() => ({ bytes: c.bytes, split, close: c.close }));
      const client = new H1Client(server.url);
      try {
        await check(c, split, client);
      } finally {
        await client.destroy();
        await server.close();
      }
    }
  }
}

test('H1Client skips the header list for a handler that ignores headers, and still frames every response by its headers', async () => {
  const cases = [...CASES, { name: 'a 14-letter name that is not Content-Length', bytes: 'HTTP/1.1 200 OK\r\nX-Content-Type: a\r\nContent-Length: 2\r\nX-Length-Of-It-All: 9\r\n\r\nok' }];
  await forEachFraming(cases, async (c, split, client) => {
    const full = await rawFetch(client, c.method ?? 'GET', false);
    const bare = await rawFetch(client, c.method ?? 'GET', true);
    const names = full.raw.filter((_, i) => i % 2 === 0);
    assert.ok(names.length > 0, `${c.name}: the full list has the headers`);
    assert.deepEqual(bare.raw, [], `${c.name}: no list for a handler that ignores headers`);
    assert.deepEqual({ status: bare.status, body: bare.body }, { status: full.status, body: full.body }, c.name);
  });
});

test('H1Client passes body lengths, not chunks, to a handler that only counts bodies, for every framing split at every byte', async () => {
  const cases = [
    ...CASES,
    { name: 'header names in other cases', bytes: 'HTTP/1.1 200 OK\r\ncONTENT-lENGTH: 4\r\nCONNECTION: Keep-Alive\r\n\r\nabcd' },
    { name: 'chunked named in capitals', bytes: 'HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' },
  ];
  await forEachFraming(cases, async (c, split, client) => {
    const full = await rawFetch(client, c.method ?? 'GET', true);
    const counted = await new Promise<{ status: number; length: number; chunks: number }>((resolve, reject) => {
      let status = 0;
      let length = 0;
      let chunks = 0;
      const handler = {
        ignoresHeaders: true,
        countsBodyOnly: true,
        onConnect() {},
        onHeaders(st: number) {
          status = st;
          return true;
        },
        onDataLength(n: number) {
          length += n;
          return true;
        },
        onData() {
          chunks++;
          return true;
        },
        onComplete: () => resolve({ status, length, chunks }),
        onError: reject,
      };
      client.dispatch({ method: (c.method ?? 'GET') as 'GET', path: '/x' }, handler as unknown as Parameters<H1Client['dispatch']>[1]);
    });
    assert.deepEqual(counted, { status: full.status, length: full.body.length, chunks: 0 }, `${c.name}, split ${split.length > 0}`);
  });
});

test('H1Client reads only the bytes of the current read: delimiters an older read left in the shared buffer are not taken', { timeout: 10_000 }, async () => {
  // Response 1 arrives in one read and fills the shared buffer with CRLFs, blank lines and newlines;
  // response 2 then arrives a few bytes at a time (heads, chunk-size lines and trailers cut
  // mid-line), so each short read is followed in the buffer by response 1's stale delimiters.
  const filler = '\r\n\r\n\n'.repeat(200);
  const first = `HTTP/1.1 200 OK\r\nContent-Length: ${filler.length}\r\n\r\n${filler}`;
  const second = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Pad: abcdefghij\r\n\r\n4\r\nwxyz\r\n0\r\nX-T: 1\r\n\r\n';
  const server = await rawServer((n) => (n % 2 === 0 ? { bytes: first } : { bytes: second, split: Array.from({ length: second.length / 3 }, (_, i) => i * 3) }));
  const client = new H1Client(server.url);
  try {
    for (let i = 0; i < 3; i++) {
      const a = await rawFetch(client, 'GET', false);
      assert.equal(a.body, filler);
      const b = await rawFetch(client, 'GET', false);
      assert.deepEqual({ status: b.status, raw: b.raw, body: b.body }, { status: 200, raw: ['Transfer-Encoding', 'chunked', 'X-Pad', 'abcdefghij'], body: 'wxyz' });
    }
  } finally {
    await client.destroy();
    await server.close();
  }
});

test('the metrics wrapper only counts a body when it is a success and nothing after it reads bodies', () => {
  const layout = createLayout(['op']);
  const recorder = new MetricsRecorder(layout, allocateMetrics(layout));
  type Seen = { countsBodyOnly?: boolean; onHeaders(s: number, r: unknown[], resume: () => void): boolean };
  let seen: Seen | undefined;
  const dispatch = metricsInterceptor({ recorder, clock: () => 0 })((_opts, handler) => {
    seen = handler as unknown as Seen;
    return true;
  });
  dispatch({ method: 'GET', path: '/' }, { onResponseEnd() {} } as never);
  seen!.onHeaders(200, [], () => {});
  assert.equal(seen!.countsBodyOnly, true);
  dispatch({ method: 'GET', path: '/' }, { onResponseEnd() {} } as never);
  seen!.onHeaders(409, [], () => {});
  assert.equal(seen!.countsBodyOnly, false, 'an error body is kept for its Status reason');
  dispatch({ method: 'GET', path: '/' }, { onResponseData() {}, onResponseEnd() {} } as never);
  seen!.onHeaders(200, [], () => {});
  assert.equal(seen!.countsBodyOnly, false, 'the next handler reads the body');
});

test('the metrics wrapper ignores headers exactly when nothing after it reads them', () => {
  const layout = createLayout(['op']);
  const recorder = new MetricsRecorder(layout, allocateMetrics(layout));
  let seen: { ignoresHeaders?: boolean } | undefined;
  const dispatch = metricsInterceptor({ recorder, clock: () => 0 })((_opts, handler) => {
    seen = handler as { ignoresHeaders?: boolean };
    return true;
  });
  dispatch({ method: 'GET', path: '/' }, { onResponseEnd() {} } as never);
  assert.equal(seen?.ignoresHeaders, true);
  dispatch({ method: 'GET', path: '/' }, { onResponseStart() {}, onResponseEnd() {} } as never);
  assert.equal(seen?.ignoresHeaders, false);
});
