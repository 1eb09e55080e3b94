// Which free sandbox a claimer tries first: the lowest on a quiet pool; while others claim, a
// random one among the low ordinals, so 50 claimers a second do not all PUT the same PVC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUSY_WITHIN_MS, CLAIM_WINDOW_MIN, busyPool, claimOrder } from '../../src/core/devenv/claims/claim';

const free = (ordinals: number[]) => ordinals.map((ordinal) => ({ ordinal }));
/** A seeded generator, so the spread is checked without flakiness. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

test('claimOrder tries every free sandbox once, the lower half (at least 8) before the rest', () => {
  const pool = free(Array.from({ length: 40 }, (_, i) => 39 - i));
  const order = claimOrder(pool, seeded(1)).map((s) => s.ordinal);
  assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i), 'a permutation: nothing skipped or twice');
  assert.deepEqual(order.slice(0, 20).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i), 'first the lowest half');
  assert.ok(order.slice(20).every((o) => o >= 20));
  const small = claimOrder(free([3, 9, 4]), seeded(2)).map((s) => s.ordinal);
  assert.deepEqual([...small].sort((a, b) => a - b), [3, 4, 9]);
  assert.equal(CLAIM_WINDOW_MIN, 8);
  const twelve = claimOrder(free(Array.from({ length: 12 }, (_, i) => i)), seeded(3)).map((s) => s.ordinal);
  assert.ok(twelve.slice(0, 8).every((o) => o < 8) && twelve.slice(8).every((o) => o >= 8), `a window of 8 first: ${twelve}`);
});

test('concurrent claimers looking at the same list start on different sandboxes', () => {
  const pool = free(Array.from({ length: 30 }, (_, i) => i));
  const firsts = Array.from({ length: 10 }, (_, i) => claimOrder(pool, seeded(100 + i))[0]!.ordinal);
  // Lowest-first sends all ten to ordinal 0: nine lose the race (a 409 each).
  assert.ok(new Set(firsts).size >= 6, `first choices spread: ${firsts}`);
  assert.ok(firsts.every((o) => o < 15), `and stay among the low half: ${firsts}`);
});

test('busyPool: a claim in the last few seconds means others are claiming now', () => {
  const now = new Date('2026-12-03T14:00:00Z');
  const ago = (ms: number) => ({ claim: { user: 'x', at: new Date(now.getTime() - ms).toISOString() } });
  assert.equal(busyPool([{}, ago(BUSY_WITHIN_MS + 1000)], now), false, 'an old claim: quiet');
  assert.equal(busyPool([{}, ago(300)], now), true);
  assert.equal(busyPool([{ claim: { at: 'not a date' } }], now), false);
  assert.equal(busyPool([], now), false);
});
