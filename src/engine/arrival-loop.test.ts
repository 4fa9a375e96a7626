import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalLoop, type WorkSource } from './arrival-loop.js';
import { MetricsRecorder } from '../metrics/recorder.js';
import { allocateMetrics, createLayout, GlobalSlot, RunState } from '../metrics/layout.js';
import { createRunClock, wallMs } from './clock.js';
import { constantPacer } from './constant-pacer.js';
import { closedPacer } from './closed-pacer.js';
import { addSlots, newHistogram } from '../metrics/histogram.js';

/** A work source whose units end on the next turn of the event loop, with `slots` units at once. */
class FakeSource implements WorkSource {
  readonly started: { unit: number; intendedAt: number | undefined; now: number }[] = [];
  readonly droppedUnits: number[] = [];
  inFlight = 0;
  loop!: ArrivalLoop;
  constructor(
    private readonly slots: number,
    /** Turns of the event loop a unit lasts. */
    private readonly turns = 1,
  ) {}
  capacity(): number {
    return this.slots - this.inFlight;
  }
  start(c: number, unit: number, intendedAt: number | undefined, now: number): void {
    this.inFlight++;
    this.started.push({ unit, intendedAt, now });
    let left = this.turns;
    const turn = (): void => {
      if (--left > 0) return void setImmediate(turn);
      this.inFlight--;
      this.loop.done(c);
    };
    setImmediate(turn);
  }
  dropped(_c: number, unit: number, count = 1): void {
    for (let k = 0; k < count; k++) this.droppedUnits.push(unit + k);
  }
}

/** until resolves once `check` holds, polling on the timer; fails after `timeoutMs`. */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function setup() {
  const layout = createLayout(['x']);
  const recorder = new MetricsRecorder(layout, allocateMetrics(layout));
  const clock = createRunClock(wallMs());
  return { recorder, clock };
}

test('two loops sharing one ticket counter start every planned arrival exactly once, on time', async () => {
  const { recorder, clock } = setup();
  const pacer = constantPacer(2000, 500); // 1,000 arrivals over 0.5 s
  const sources = [new FakeSource(8), new FakeSource(8)];
  const loops = sources.map((s) => {
    const loop = new ArrivalLoop(recorder, clock, [{ pacer, maxUnits: Infinity, durationMs: 500, maxLagMs: 10_000, gatherMs: 0, ticketSlot: GlobalSlot.TICKET }], s);
    s.loop = loop;
    return loop;
  });
  await Promise.all(loops.map((l) => l.run()));
  const units = sources.flatMap((s) => s.started.map((x) => x.unit)).sort((a, b) => a - b);
  assert.deepEqual(units, Array.from({ length: 1000 }, (_, i) => i));
  for (const s of sources) {
    for (const x of s.started) {
      assert.equal(x.intendedAt, pacer.arrivalMs(x.unit));
      assert.ok(x.now >= x.intendedAt!, 'never early');
    }
  }
  assert.equal(loops[0]!.started + loops[1]!.started, 1000);
  assert.equal(Atomics.load(recorder.view, GlobalSlot.TICKET), 1000);
});

test('arrivals later than maxLag are dropped, not sent, when capacity was missing', async () => {
  const { recorder, clock } = setup();
  // One slot, and each unit holds it 30 ms: at 200/s most arrivals wait longer than the 20 ms bound.
  const source: WorkSource & { loop?: ArrivalLoop; busy: boolean; started: number[]; dropped_: number[] } = {
    busy: false,
    started: [],
    dropped_: [],
    capacity() {
      return this.busy ? 0 : 1;
    },
    start(c, unit) {
      this.busy = true;
      this.started.push(unit);
      setTimeout(() => {
        this.busy = false;
        this.loop!.done(c);
      }, 30);
    },
    dropped(_c, unit, count = 1) {
      for (let k = 0; k < count; k++) this.dropped_.push(unit + k);
    },
  };
  const loop = new ArrivalLoop(recorder, clock, [{ pacer: constantPacer(200, 300), maxUnits: Infinity, durationMs: 300, maxLagMs: 20, gatherMs: 0, ticketSlot: GlobalSlot.TICKET }], source);
  source.loop = loop;
  await loop.run();
  // Every claimed arrival is either sent or dropped; what nobody claimed by the end the engine counts (LoadEngine).
  const claimed = Atomics.load(recorder.view, GlobalSlot.TICKET);
  assert.equal(source.started.length + source.dropped_.length, claimed, 'every claimed arrival is either sent or dropped');
  assert.ok(claimed <= 60 && claimed >= 55, `claimed ${claimed} of 60`);
  assert.ok(source.dropped_.length > 20, `dropped ${source.dropped_.length}`);
  assert.ok(source.started.length >= 5, `started ${source.started.length}`);
});

test('closed model starts units while there is capacity, up to maxUnits across loops', async () => {
  const { recorder, clock } = setup();
  const sources = [new FakeSource(3), new FakeSource(5)];
  const loops = sources.map((s) => {
    const loop = new ArrivalLoop(recorder, clock, [{ pacer: closedPacer(), maxUnits: 777, durationMs: 60_000, maxLagMs: 0, gatherMs: 0, ticketSlot: GlobalSlot.CLAIMED }], s);
    s.loop = loop;
    return loop;
  });
  await Promise.all(loops.map((l) => l.run()));
  const units = sources.flatMap((s) => s.started.map((x) => x.unit)).sort((a, b) => a - b);
  assert.deepEqual(units, Array.from({ length: 777 }, (_, i) => i));
  assert.ok(sources.every((s) => s.started.every((x) => x.intendedAt === undefined)));
});

test('a stop request ends the loop after in-flight units end; abort calls onAbort', async () => {
  const { recorder, clock } = setup();
  const source = new FakeSource(4);
  let aborted = 0;
  const loop = new ArrivalLoop(recorder, clock, [{ pacer: closedPacer(), maxUnits: Infinity, durationMs: 60_000, maxLagMs: 0, gatherMs: 0, ticketSlot: GlobalSlot.CLAIMED }], source, () => aborted++);
  source.loop = loop;
  const done = loop.run();
  // Abort once units are flowing (not after a fixed time: a loaded host may not have started any by then).
  await until('units started', () => source.started.length > 10);
  Atomics.store(recorder.view, GlobalSlot.STATE, RunState.Aborting);
  await done;
  const startedBeforeEnd = source.started.length;
  assert.equal(aborted, 1);
  assert.equal(loop.wasAborted, true);
  assert.ok(source.started.length > 10);
  assert.equal(source.inFlight, 0);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(source.started.length, startedBeforeEnd, 'nothing starts after the loop ended');
});

/**
 * attempts runs `attempt` until `done` accepts its result, at most `tries` times, and returns every result.
 * For claims about timing that only a host keeping the 0.1 ms schedule can show: a run in which the host
 * stalled the thread (other processes on its cores) shows nothing either way, so it is run again.
 */
async function attempts<T>(tries: number, attempt: () => Promise<T>, done: (r: T) => boolean): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tries; i++) {
    const r = await attempt();
    results.push(r);
    if (done(r)) break;
  }
  return results;
}

test('gatherMs: while completions keep coming, a due arrival waits until gatherMs late and starts with every arrival due by then (never early, each exactly once); 0 starts each at once', async () => {
  // Run on a clock the test sets: each step moves it 0.25 ms and ends every unit in flight, and the
  // loop's pumps run as microtasks, so no timer fires and the host's load cannot change the outcome.
  const run = async (gatherMs: number) => {
    const { recorder } = setup();
    let now = 0;
    const started: { unit: number; at: number; now: number }[] = [];
    const inFlight: number[] = [0, 0];
    const source: WorkSource = {
      // Component 1 holds one unit (closed model), so the loop never sleeps on the thread for lack of work.
      capacity: (c) => (c === 0 ? 1000 : 1 - inFlight[1]!),
      start(c, unit, intendedAt, at) {
        inFlight[c]!++;
        if (c === 0) started.push({ unit, at: intendedAt!, now: at });
      },
      dropped: () => assert.fail('nothing is dropped'),
    };
    const loop = new ArrivalLoop(
      recorder,
      () => now,
      [
        { pacer: constantPacer(1000, 100), maxUnits: Infinity, durationMs: 100, maxLagMs: 10_000, gatherMs, ticketSlot: GlobalSlot.TICKET },
        { pacer: closedPacer(), maxUnits: Infinity, durationMs: 200, maxLagMs: 0, gatherMs: 0, ticketSlot: GlobalSlot.CLAIMED },
      ],
      source,
    );
    const done = loop.run();
    for (let step = 1; step <= 1000; step++) {
      now = step * 0.25;
      for (let c = 0; c < 2; c++) for (; inFlight[c]! > 0; inFlight[c]!--) loop.done(c);
      await Promise.resolve(); // the pump queued by the completions
    }
    await done;
    assert.deepEqual(
      started.map((x) => x.unit),
      Array.from({ length: 100 }, (_, i) => i),
    );
    for (const x of started) assert.ok(x.now >= x.at, 'never early');
    // Units started in one pump share its clock reading.
    const groups = new Map<number, number[]>();
    for (const x of started) groups.set(x.now, [...(groups.get(x.now) ?? []), x.unit]);
    return { started, groups: [...groups.values()] };
  };
  {
    const single = await run(0);
    assert.ok(single.started.every((x) => x.now === x.at), 'without gathering each arrival starts at the first completion once due');
    assert.equal(single.groups.length, 100);
    const grouped = await run(2.5);
    // Arrivals 1 ms apart: the first of each group waits 2.5 ms, then starts with the two due meanwhile
    // (arrival 0 is due at the loop's first pump, which no completion called: it starts at once).
    assert.deepEqual(grouped.groups, [[0], ...Array.from({ length: 33 }, (_, g) => [3 * g + 1, 3 * g + 2, 3 * g + 3])]);
    for (const g of grouped.groups.slice(1)) assert.equal(grouped.started.find((x) => x.unit === g[0])!.now, g[0]! + 2.5);
  }
});

test('while nothing is in flight the loop sleeps until the next arrival precisely, not on the 1 ms timer', async () => {
  const run = async () => {
    const { recorder, clock } = setup();
    // 300/s for 0.6 s: units end on the next turn, so each arrival finds nothing in flight and its
    // due time 3.3 ms away, which a timer (1 ms resolution) can only reach ~0.5 ms late on average.
    const pacer = constantPacer(300, 600);
    const source = new FakeSource(4);
    const loop = new ArrivalLoop(recorder, clock, [{ pacer, maxUnits: Infinity, durationMs: 600, maxLagMs: 10_000, gatherMs: 0.5, ticketSlot: GlobalSlot.TICKET }], source);
    source.loop = loop;
    await loop.run();
    assert.equal(source.started.length, 180);
    for (const x of source.started) assert.ok(x.now >= x.intendedAt!, 'never early');
    const lateness = newHistogram();
    addSlots(lateness, loop.latenessSlots());
    assert.equal(lateness.totalCount, 180, 'every start counted once');
    return lateness.getValueAtPercentile(50);
  };
  // Undisturbed: p50 40–80 µs with the sleep, 400–600 µs on timers alone. A busy host can make any run
  // late, never a timer early: one run of a few under 250 µs shows the sleep.
  const p50s = await attempts(5, run, (p50) => p50 < 250);
  assert.ok(p50s.at(-1)! < 250, `median start lateness (µs) of each run: ${p50s.join(', ')}`);
});

test('a loop without capacity (its share of the cap is 0) ends its component once other loops started every unit, open and closed', async () => {
  const { recorder, clock } = setup();
  const within = <T>(p: Promise<T>) => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([p.then(() => 'ended' as const), new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 10_000)))]).finally(() => clearTimeout(timer));
  };
  const components = [
    { pacer: constantPacer(2000, 100), maxUnits: Infinity, durationMs: Infinity, maxLagMs: 10_000, gatherMs: 0, ticketSlot: GlobalSlot.TICKET },
    { pacer: closedPacer(), maxUnits: 50, durationMs: Infinity, maxLagMs: 0, gatherMs: 0, ticketSlot: GlobalSlot.CLAIMED },
  ];
  const sources = [new FakeSource(3), new FakeSource(0)];
  const loops = sources.map((s) => {
    const loop = new ArrivalLoop(recorder, clock, components, s);
    s.loop = loop;
    return loop;
  });
  assert.deepEqual(await Promise.all(loops.map((l) => within(l.run()))), ['ended', 'ended']);
  assert.equal(sources[1]!.started.length, 0);
  assert.equal(sources[0]!.started.length, 200 + 50);
});
