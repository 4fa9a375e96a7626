import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constantPacer } from './constant-pacer.js';
import { linearPacer } from './linear-pacer.js';
import { closedPacer } from './closed-pacer.js';
import { createPacer } from './load-model.js';

test('constant pacer spaces arrivals evenly and stops at the duration', () => {
  const p = constantPacer(1000, 2000);
  const table: [number, number][] = [[0, 0], [1, 1], [999, 999], [1999, 1999], [2000, Infinity]];
  for (const [i, want] of table) assert.equal(p.arrivalMs(i), want, `arrival ${i}`);
  assert.equal(p.plannedBy(0), 0);
  assert.equal(p.plannedBy(1000), 1000);
  assert.equal(p.plannedBy(999.5), 1000);
  assert.equal(p.plannedBy(10_000), 2000);
});

test('linear pacer plans the integral of the rate and arrival times invert the count', () => {
  // 100/s to 300/s over 10 s plans (100+300)/2*10 = 2000 arrivals.
  const p = linearPacer(100, 300, 10_000);
  assert.equal(p.plannedBy(10_000), 2000);
  let n = 0;
  while (p.arrivalMs(n) !== Infinity) n++;
  assert.equal(n, 2000);
  // Count in the first second: 100*1 + 20*1/2 = 110 arrivals; in the last second: 2000 - count(9) = 2000-1710 = 290.
  const inWindow = (a: number, b: number) => {
    let c = 0;
    for (let i = 0; i < n; i++) if (p.arrivalMs(i) >= a && p.arrivalMs(i) < b) c++;
    return c;
  };
  assert.equal(inWindow(0, 1000), 110);
  assert.equal(inWindow(9000, 10_000), 290);
  for (let i = 1; i < n; i++) assert.ok(p.arrivalMs(i) >= p.arrivalMs(i - 1), 'non-decreasing');
  assert.equal(p.rateAt(5000), 200);
});

test('ramp down and a ramp from zero are planned correctly', () => {
  const down = linearPacer(300, 100, 10_000);
  assert.equal(down.plannedBy(10_000), 2000);
  assert.equal(down.arrivalMs(1999) < 10_000, true);
  const fromZero = linearPacer(0, 200, 10_000);
  assert.equal(fromZero.arrivalMs(0), 0);
  assert.ok(Math.abs(fromZero.arrivalMs(250) - 5000) < 1e-6, 'count 250 reached at t=5s');
});

test('closed pacer makes every arrival due now; createPacer caps arrivals', () => {
  const c = closedPacer();
  assert.equal(c.open, false);
  assert.equal(c.arrivalMs(12345), 0);
  const capped = createPacer({ kind: 'constant', rate: 10, durationMs: Infinity }, 3);
  assert.deepEqual([0, 1, 2, 3].map((i) => capped.arrivalMs(i)), [0, 100, 200, Infinity]);
  assert.equal(capped.plannedBy(1e9), 3);
});

test('shards of an open model split the arrivals k mod N: together exactly the whole schedule, each at its intended time', () => {
  for (const model of [
    { kind: 'constant', rate: 1000, durationMs: 2000 },
    { kind: 'linear', from: 100, to: 300, durationMs: 10_000 },
  ] as const) {
    const whole = createPacer(model);
    const times: number[] = [];
    for (let count = 1; count <= 4; count++) {
      const all: number[] = [];
      for (let index = 0; index < count; index++) {
        const p = createPacer({ ...model, shard: { index, count } });
        assert.equal(p.rateAt(500) * count, whole.rateAt(500));
        for (let j = 0; p.arrivalMs(j) !== Infinity; j++) {
          assert.equal(p.arrivalMs(j), whole.arrivalMs(j * count + index));
          all.push(p.arrivalMs(j));
        }
        for (const t of [0, 0.5, 1, 999.5, 1234, 1e9]) {
          let due = 0;
          while (p.arrivalMs(due) < t) due++;
          assert.equal(p.plannedBy(t), due, `${model.kind} shard ${index}/${count} plannedBy(${t})`);
        }
      }
      all.sort((a, b) => a - b);
      if (count === 1) times.push(...all);
      else assert.deepEqual(all, times, `${model.kind}: ${count} shards send the whole schedule`);
    }
  }
});
