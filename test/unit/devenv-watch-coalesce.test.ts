/**
 * EnvironmentWatch's coalescing of watch events into view repaints (coalescer in core/devenv/watch.ts):
 * a lone change repaints at once, a burst repaints at most once more at the window's end with the
 * last state, a storm at most once per window. Time is driven by a fake clock, never slept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalescer, type Timers } from '../../src/core/devenv/watch';

/** A fake clock: timers run only when the test advances it. */
function fakeClock(): Timers & { now: number; advance(ms: number): void; pending(): number } {
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const clock = {
    now: 0,
    setTimeout(fn: () => void, ms: number) { const id = ++seq; due.set(id, { at: clock.now + ms, fn }); return id; },
    clearTimeout(h: unknown) { due.delete(h as number); },
    advance(ms: number) {
      const end = clock.now + ms;
      for (;;) {
        const next = [...due.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!next) break;
        due.delete(next[0]);
        clock.now = next[1].at;
        next[1].fn();
      }
      clock.now = end;
    },
    pending: () => due.size,
  };
  return clock;
}

/** A "cache" whose state changes, and the states the views were handed, with the time they got them. */
function harness(ms = 50) {
  const clock = fakeClock();
  let state = 0;
  const seen: { at: number; state: number }[] = [];
  const c = coalescer(() => seen.push({ at: clock.now, state }), ms, clock);
  return { clock, c, seen, change: () => { state++; c.poke(); }, get state() { return state; } };
}

test('a lone change reaches the views at once, not after the window', () => {
  const h = harness();
  h.change();
  assert.deepEqual(h.seen, [{ at: 0, state: 1 }], 'fired synchronously on the first change');
  h.clock.advance(1000);
  assert.equal(h.seen.length, 1, 'nothing more to deliver: no second repaint');
  assert.equal(h.clock.pending(), 0, 'no timer left running');
});

test('a burst of changes within the window fires at most twice, the second time with the last state', () => {
  const h = harness(50);
  for (let i = 0; i < 200; i++) { h.change(); h.clock.advance(0.2); }
  assert.equal(h.seen.length, 1, 'only the leading edge so far');
  h.clock.advance(100);
  assert.equal(h.seen.length, 2, `fired ${h.seen.length} times for 200 changes in 40 ms`);
  assert.deepEqual(h.seen[0], { at: 0, state: 1 });
  assert.deepEqual(h.seen[1], { at: 50, state: 200 }, 'nothing is lost: the last state is delivered at the window end');
});

test('a storm repaints at most once per window and ends on the last state', () => {
  const h = harness(50);
  // One change every 5 ms for one second.
  for (let t = 0; t < 1000; t += 5) { h.change(); h.clock.advance(5); }
  h.clock.advance(200);
  const gaps = h.seen.slice(1).map((s, i) => s.at - h.seen[i]!.at);
  assert.ok(gaps.every((g) => g >= 50), `repaints at least 50 ms apart: ${gaps.join(', ')}`);
  assert.ok(h.seen.length <= 1000 / 50 + 2, `${h.seen.length} repaints for 200 changes`);
  assert.equal(h.seen.at(-1)!.state, 200, 'the last state is delivered');
  assert.equal(h.clock.pending(), 0);
});

test('after a quiet spell the next change is immediate again', () => {
  const h = harness(50);
  h.change(); h.change();
  h.clock.advance(50);
  assert.deepEqual(h.seen.map((s) => s.state), [1, 2]);
  h.clock.advance(60); // the trailing fire opened a window; it closes with nothing to deliver
  h.change();
  assert.deepEqual(h.seen.at(-1), { at: 110, state: 3 }, 'fired at the moment of the change');
});

test('dispose drops a pending repaint and ignores later changes', () => {
  const h = harness(50);
  h.change(); h.change();
  h.c.dispose();
  h.clock.advance(100);
  h.change();
  assert.deepEqual(h.seen.map((s) => s.state), [1]);
  assert.equal(h.clock.pending(), 0);
});
