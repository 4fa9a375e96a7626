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
  setTimeout(() => Atomics.store(recorder.view, GlobalSlot.STATE, RunState.Aborting), 50);
  await done;
  assert.equal(aborted, 1);
  assert.equal(loop.wasAborted, true);
  assert.ok(source.started.length > 10);
  assert.equal(source.inFlight, 0);
});

test('gatherMs: while completions keep coming, due arrivals start in groups (never early, each exactly once); 0 starts them one by one', async () => {
  const run = async (gatherMs: number) => {
    const { recorder, clock } = setup();
    const pacer = constantPacer(10_000, 300); // 3,000 arrivals over 0.3 s, 100 µs apart
    // Units that last a few dozen turns of the event loop (~0.1 ms), as responses on loopback do, so
    // completions come between arrivals (units ending on the next turn would leave it all to the timer).
    const source = new FakeSource(16, 40);
    const loop = new ArrivalLoop(recorder, clock, [{ pacer, maxUnits: Infinity, durationMs: 300, maxLagMs: 10_000, gatherMs, ticketSlot: GlobalSlot.TICKET }], source);
    source.loop = loop;
    await loop.run();
    assert.deepEqual(
      source.started.map((x) => x.unit).sort((a, b) => a - b),
      Array.from({ length: 3000 }, (_, i) => i),
    );
    for (const x of source.started) assert.ok(x.now >= x.intendedAt!, 'never early');
    // Units started in one pump share its clock reading: the number of distinct readings is the number of groups.
    return new Set(source.started.map((x) => x.now)).size;
  };
  const single = await run(0);
  const grouped = await run(0.5);
  // Measured here: 1,670–2,485 groups without gathering, 541–790 with 0.5 ms.
  assert.ok(single > 1200, `without gathering most arrivals start on their own (${single} groups for 3,000)`);
  assert.ok(grouped < single / 1.5, `gathering starts them in groups: ${grouped} groups vs ${single}`);
});

test('while nothing is in flight the loop sleeps until the next arrival precisely, not on the 1 ms timer', async () => {
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
  const p50 = lateness.getValueAtPercentile(50);
  // Measured here: p50 ~40–80 µs with the sleep; 400–600 µs on timers alone.
  assert.ok(p50 < 250, `median start lateness ${p50} µs`);
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
