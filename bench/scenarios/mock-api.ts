/**
 * The mock API server: requests/s per verb under racerig's closed-model load (get, list, update,
 * patch, create on ConfigMaps), watch delivery lag (create sent → ADDED event received) on one
 * watcher, and watch fan-out: 1,000 watchers × 500 events/s, lag and the mock's CPU per delivery.
 */
import { request, type IncomingMessage } from 'node:http';
import { startMockProcess } from '../targets/mock.js';
import { runWatchFanout } from '../measure/watch-fanout.js';
import { runOnce, type Check, type Scenario } from './scenario.js';
import { ms, num, table } from '../report/markdown.js';
import type { LoadSpec } from '../tools/tool.js';

interface Reply {
  status: number;
  body: string;
}

/** call sends one JSON request to the mock and resolves with its status and body. */
function call(url: string, method: string, body?: unknown, contentType = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, headers: payload ? { 'content-type': contentType } : {}, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => (text += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function mustCall(url: string, method: string, body?: unknown): Promise<void> {
  const r = await call(url, method, body);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.body.slice(0, 300)}`);
}

const configMap = (name: string | undefined, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: name ? { name } : { generateName: 'bench-' },
  data: { key: 'value' },
  ...extra,
});

function quantile(sorted: number[], q: number): number | null {
  return sorted.length ? (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number) : null;
}

/** watchLag creates `count` ConfigMaps paced at `rate`/s while watching them; lag = ADDED event arrival − create sent, ms. */
async function watchLag(base: string, count: number, rate: number): Promise<{ lags: number[]; missing: number }> {
  const ns = `${base}api/v1/namespaces/bench-watch/configmaps`;
  const sent = new Map<string, number>();
  const lags: number[] = [];
  let allSeen: () => void = () => {};
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const watchReq = request(`${ns}?watch=1&allowWatchBookmarks=false`, { method: 'GET' });
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    watchReq.once('response', resolve);
    watchReq.once('error', reject);
    watchReq.end();
  });
  let buf = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    const now = performance.now();
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const event = JSON.parse(line) as { type: string; object?: { metadata?: { name?: string } } };
      const start = event.type === 'ADDED' ? sent.get(event.object?.metadata?.name ?? '') : undefined;
      if (start !== undefined) {
        lags.push(now - start);
        if (lags.length === count) allSeen();
      }
    }
  });
  response.on('error', () => allSeen());
  const t0 = performance.now();
  const creates: Promise<Reply>[] = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const name = `watch-${i}`;
    sent.set(name, performance.now());
    creates.push(call(ns, 'POST', configMap(name)));
  }
  await Promise.all(creates);
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  watchReq.destroy();
  return { lags: lags.sort((a, b) => a - b), missing: count - lags.length };
}

/** mockApi measures the mock's throughput per verb and its watch delivery lag. */
export const mockApi: Scenario = async (ctx) => {
  const racerig = ctx.tools.find((t) => t.name === 'racerig');
  const durationSec = ctx.quick ? 2 : 3;
  const listSize = 100;
  const mock = await startMockProcess();
  const rows: string[][] = [];
  const commands: string[] = [];
  const notes: string[] = [];
  const raw: Record<string, unknown> = {};
  const checks: Check[] = [];
  try {
    const base = mock.url;
    for (const ns of ['bench', 'bench-create', 'bench-watch', 'bench-fanout']) {
      await mustCall(`${base}api/v1/namespaces`, 'POST', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
    const cms = `${base}api/v1/namespaces/bench/configmaps`;
    await mustCall(cms, 'POST', configMap('bench-cm'));
    for (let i = 1; i < listSize; i++) await mustCall(cms, 'POST', configMap(`list-${i}`));
    const json = { 'content-type': 'application/json' };
    const verbs: [string, string, Partial<LoadSpec>][] = [
      ['get', `GET ${'/api/v1/namespaces/bench/configmaps/bench-cm'}`, { url: `${cms}/bench-cm` }],
      ['list', `GET /api/v1/namespaces/bench/configmaps (${listSize} items)`, { url: cms }],
      ['update', 'PUT …/configmaps/bench-cm (no resourceVersion)', { url: `${cms}/bench-cm`, method: 'PUT', headers: json, body: JSON.stringify(configMap('bench-cm')) }],
      ['patch', 'PATCH …/configmaps/bench-cm (merge patch)', { url: `${cms}/bench-cm`, method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: '{"data":{"key":"patched"}}' }],
      ['create', 'POST /api/v1/namespaces/bench-create/configmaps (generateName)', { url: `${base}api/v1/namespaces/bench-create/configmaps`, method: 'POST', headers: json, body: JSON.stringify(configMap(undefined)) }],
    ];
    if (racerig) {
      // One unmeasured second per verb first: the mock process is fresh, and its first second (JIT
      // compilation of every handler) would otherwise count against a 3 s measurement.
      ctx.log(`mock API: warm-up, ${verbs.length} verbs × 1 s`);
      for (const [verb, , spec] of verbs) await runOnce(ctx, { tool: racerig, spec: { url: '', connections: 50, workers: 1, durationSec: 1, ...spec } }, ` mock ${verb} (warm-up)`);
      ctx.log(`mock API: ${verbs.length} verbs × ${durationSec} s with racerig -w 1 -c 50`);
      for (const [verb, what, spec] of verbs) {
        const r = await runOnce(ctx, { tool: racerig, spec: { url: '', connections: 50, workers: 1, durationSec, ...spec } }, ` mock ${verb}`);
        if (!r) continue;
        raw[verb] = r;
        commands.push(r.command.replace(base, 'http://127.0.0.1:<mock-port>/'));
        const failed = Object.entries(r.extra?.status ?? {}).filter(([code]) => Number(code) >= 400);
        const errors = num(r.errors) + (failed.length ? ` (${failed.map(([code, n]) => `${code}: ${n}`).join(', ')})` : '');
        rows.push([verb, what, num(r.requestsPerSec), ms(r.p50Ms), ms(r.p99Ms), errors, num(r.cpuSeconds, 2)]);
        const aim = verb === 'get' ? 15_000 : verb === 'create' ? 5_000 : undefined;
        if (aim !== undefined) {
          checks.push({ target: `mock ${verb} ≥ ${num(aim)}/s with racerig -w 1 as the client, after a 1 s warm-up (issue 3)`, measured: `${num(r.requestsPerSec)}/s`, met: r.requestsPerSec >= aim });
        }
      }
    } else {
      notes.push('racerig is not built, so the per-verb throughput was not measured.');
    }
    const count = ctx.quick ? 400 : 1000;
    const rate = 200;
    ctx.log(`mock API: watch delivery lag, ${count} creates at ${rate}/s`);
    const { lags, missing } = await watchLag(base, count, rate);
    raw.watchLagMs = { count, rate, missing, p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: lags[lags.length - 1] ?? null };
    notes.push(
      `Watch delivery lag (ADDED event received − create sent, one watch on the namespace, ${num(count)} creates at ${rate}/s from the bench process): p50 ${ms(quantile(lags, 0.5))} ms, p99 ${ms(quantile(lags, 0.99))} ms, max ${ms(lags[lags.length - 1])} ms${missing ? `; ${missing} events missing after 10 s` : ''}.`,
    );
    const fan = { watchers: 1000, rate: 500, count: ctx.quick ? 1000 : 3000, lagEvery: 10, clientThreads: 2, warmupSec: 1 };
    ctx.log(`mock API: watch fan-out, ${fan.watchers} watchers, ${fan.count} creates at ${fan.rate}/s`);
    const f = await runWatchFanout({ base, namespace: 'bench-fanout', mockPid: mock.pid, ...fan });
    raw.watchFanout = f;
    checks.push({
      target: `watch fan-out: ${num(f.watchers)} watchers × ${f.rate} events/s, delivery lag p99 ≤ 50 ms after a ${f.warmupSec} s warm-up (issue 3)`,
      measured: `p99 ${ms(f.p99)} ms, ${num(f.received)}/${num(f.expected)} delivered, load average ${f.loadStart}`,
      met: f.p99 === null || f.received < f.expected ? false : f.p99 <= 50,
    });
    const mockCores = f.mockCpuSec !== null && f.wallSec > 0 ? f.mockCpuSec / f.wallSec : null;
    notes.push(
      `Watch fan-out (${num(f.watchers)} watch streams on one namespace held by a cheap racerig client in ${f.clientThreads} worker threads of the bench process (${f.client === 'h1' ? 'racerig\'s H1Client, one per stream, body chunks lent rather than copied' : 'an undici Pool'}; counts event lines and reads the \`racerig.io/sent-at\` stamp without JSON.parse, lag read on every ${f.lagEvery}th watcher); ${num(f.count)} small ConfigMaps created at ${f.rate}/s, i.e. ${num(f.watchers * f.rate)} deliveries/s): ` +
        `${num(f.received)} of ${num(f.expected)} delivered in ${ms(f.wallSec * 1000)} ms; after a ${f.warmupSec} s warm-up lag p50 ${ms(f.p50)} ms, p99 ${ms(f.p99)} ms, max ${ms(f.max)} ms (p99 with the warm-up ${ms(f.p99All)} ms; p99 per second of the run: ${f.p99PerSecond.join(', ')} ms); ` +
        `mock CPU ${num(f.mockCpuSec, 2)} s (${num(f.mockUsPerDelivery, 2)} µs per delivered event, ${num(mockCores, 2)} cores), client CPU ${num(f.clientCpuSec, 2)} s; load average ${f.loadStart} at the start, ${f.loadEnd} at the end.`,
    );
  } finally {
    await mock.close();
  }
  return {
    id: 'mock',
    title: 'Mock API server throughput per verb',
    body: [
      `\`racerig mock\` of the build under test in its own process; racerig \`-w 1 -c 50\`, closed model, ${durationSec} s per verb after one unmeasured second of each (one worker, so the mock keeps a core). Objects are ConfigMaps; the list returns ${listSize}. "CPU s" is racerig's, not the mock's.`,
      table(['verb', 'request', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU s'], rows),
      ...notes,
    ],
    commands,
    checks,
    raw,
  };
};
