// The one wait-until-Ready loop: checks until done, backs off up to a cap, gives up at the deadline
// with the last reason seen (checking once more at the deadline instead of sleeping past it), stops on abort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntil, type Poll } from '../../src/core/kube/waitReady';
import { isTerrariumError } from '../../src/core/kube/errors';

function fakeClock() {
  const c = { t: 0, sleeps: [] as number[] };
  return { c, opts: { now: () => c.t, sleep: async (ms: number) => { c.sleeps.push(ms); c.t += ms; } } };
}

test('returns the value once done; delays grow by half up to the cap', async () => {
  const { c, opts } = fakeClock();
  let n = 0;
  const v = await pollUntil(async (): Promise<Poll<string>> => (++n === 6 ? { done: true, value: 'ready' } : { done: false, reason: `try ${n}` }),
    () => new Error('timeout'), { timeoutMs: 60_000, initialDelayMs: 200, maxDelayMs: 500, ...opts });
  assert.equal(v, 'ready');
  assert.deepEqual(c.sleeps, [200, 300, 450, 500, 500]);
});

test('at the deadline: one last check, then the timeout error with the last reason', async () => {
  const { c, opts } = fakeClock();
  let checks = 0;
  await assert.rejects(pollUntil(async (): Promise<Poll<never>> => { checks++; return { done: false, reason: `Pending at ${c.t}` }; },
    (last) => new Error(`gave up: ${last}`), { timeoutMs: 1000, initialDelayMs: 400, maxDelayMs: 400, ...opts }), /gave up: Pending at 1000/);
  assert.deepEqual(c.sleeps, [400, 400, 200], 'never sleeps past the deadline');
  assert.equal(checks, 4);
});

test('an aborted wait stops with Cancelled', async () => {
  const ac = new AbortController();
  const p = pollUntil(async (): Promise<Poll<never>> => ({ done: false, reason: 'x' }), () => new Error('timeout'), { timeoutMs: 60_000, signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(p, (e) => isTerrariumError(e, 'Cancelled'));
});
