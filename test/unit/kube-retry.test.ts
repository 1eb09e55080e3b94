import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { TerrariumError } from '../../src/core/kube/errors';
import { backoffDelay, kubeCall, retryDecision, sleep } from '../../src/core/kube/retry';
import { statusBody } from './kube-testkit';

const op = { verb: 'get', resource: 'statefulsets.apps', name: 'web', namespace: 'devenv', context: 'test', server: 'https://k8s.test:6443' };

/** The exact shapes client-node 2.0.1 throws (see kube-translate.test.ts for the real requests). */
const apiError = (code: number, reason: string, headers: Record<string, string> = {}) =>
  new ApiException(code, 'Unknown API Status Code!', statusBody(code, reason, `${reason} happened`), { 'content-type': 'application/json', ...headers });
const netError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });

/** A call that fails with the given errors in turn, then succeeds. */
function flaky(errors: unknown[]): { fn: () => Promise<string>; calls: () => number } {
  let n = 0;
  return {
    fn: async () => {
      const e = errors[n++];
      if (e) throw e;
      return 'ok';
    },
    calls: () => n,
  };
}

describe('kubeCall retries', () => {
  test('429 waits as long as Retry-After says, then succeeds', async () => {
    const waits: number[] = [];
    const f = flaky([apiError(429, 'TooManyRequests', { 'retry-after': '3' })]);
    assert.equal(await kubeCall(op, f.fn, { sleep: async (ms) => { waits.push(ms); } }), 'ok');
    assert.deepEqual(waits, [3000]);
    assert.equal(f.calls(), 2);
  });

  test('a long Retry-After is cut to maxRetryAfterMs', async () => {
    const waits: number[] = [];
    const f = flaky([apiError(429, 'TooManyRequests', { 'retry-after': '600' })]);
    await kubeCall(op, f.fn, { maxRetryAfterMs: 10_000, sleep: async (ms) => { waits.push(ms); } });
    assert.deepEqual(waits, [10_000]);
  });

  test('500/502/503/504 and connection resets back off exponentially with jitter', async () => {
    const waits: number[] = [];
    const f = flaky([apiError(500, 'InternalError'), apiError(502, 'BadGateway'), apiError(503, 'ServiceUnavailable'),
      apiError(504, 'Timeout'), netError('ECONNRESET')]);
    const result = await kubeCall(op, f.fn, { retries: 5, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5, sleep: async (ms) => { waits.push(ms); } });
    assert.equal(result, 'ok');
    // step = min(1000, 100 * 2^n); delay = step/2 + 0.5 * step/2
    assert.deepEqual(waits, [75, 150, 300, 600, 750]);
  });

  test('gives up after the configured retries and says how many attempts were made', async () => {
    const f = flaky(Array.from({ length: 10 }, () => apiError(503, 'ServiceUnavailable')));
    await assert.rejects(kubeCall(op, f.fn, { retries: 2, sleep: async () => {} }), (e: unknown) => {
      assert.ok(e instanceof TerrariumError);
      assert.equal(e.code, 'ServerError');
      assert.equal(e.message, 'The API server https://k8s.test:6443 of context "test" failed to get StatefulSet "web" after 3 attempts (503 Service Unavailable: ServiceUnavailable happened).');
      return true;
    });
    assert.equal(f.calls(), 3);
  });

  test('errors that will not change are not retried (403, 404, 409, 422, refused)', async () => {
    for (const e of [apiError(403, 'Forbidden'), apiError(404, 'NotFound'), apiError(409, 'Conflict'), apiError(422, 'Invalid'), netError('ECONNREFUSED')]) {
      const f = flaky([e]);
      await assert.rejects(kubeCall(op, f.fn, { sleep: async () => assert.fail('must not wait') }), TerrariumError);
      assert.equal(f.calls(), 1);
    }
  });

  test('a create (POST) is not repeated after an ambiguous failure, but is after 429', async () => {
    const create = { ...op, verb: 'create' };
    for (const e of [apiError(500, 'InternalError'), apiError(503, 'ServiceUnavailable'), netError('ECONNRESET'), netError('UND_ERR_SOCKET')]) {
      const f = flaky([e]);
      await assert.rejects(kubeCall(create, f.fn, { sleep: async () => {} }), TerrariumError);
      assert.equal(f.calls(), 1, `no second POST after ${String((e as Error).message)}`);
    }
    const f = flaky([apiError(429, 'TooManyRequests')]);
    assert.equal(await kubeCall(create, f.fn, { sleep: async () => {} }), 'ok');
    // And the option overrides the verb's default, e.g. for a create guarded by a unique name.
    const g = flaky([apiError(503, 'ServiceUnavailable')]);
    assert.equal(await kubeCall(create, g.fn, { idempotent: true, sleep: async () => {} }), 'ok');
  });

  test('an abort during the backoff wait ends with Cancelled, without another attempt', async () => {
    const ac = new AbortController();
    const f = flaky([apiError(503, 'ServiceUnavailable'), apiError(503, 'ServiceUnavailable')]);
    await assert.rejects(kubeCall(op, f.fn, { signal: ac.signal, baseDelayMs: 60_000, onRetry: () => ac.abort() }),
      (e: unknown) => e instanceof TerrariumError && e.code === 'Cancelled' && e.message === 'Cancelled.');
    assert.equal(f.calls(), 1);
  });

  test('an already aborted signal makes no request at all', async () => {
    const f = flaky([]);
    await assert.rejects(kubeCall(op, f.fn, { signal: AbortSignal.abort() }), (e: unknown) => e instanceof TerrariumError && e.code === 'Cancelled');
    assert.equal(f.calls(), 0);
  });

  test('fn receives request options with the capped fetch layer, carrying the signal when there is one', async () => {
    let seen: unknown = 'unset';
    await kubeCall(op, async (o) => { seen = o; });
    assert.ok(seen && typeof seen === 'object' && (seen as { httpApi?: unknown }).httpApi && !(seen as { middleware?: unknown }).middleware);
    await kubeCall(op, async (o) => { seen = o; }, { signal: new AbortController().signal });
    assert.ok(seen && typeof seen === 'object' && Array.isArray((seen as { middleware?: unknown[] }).middleware));
  });
});

describe('retry building blocks', () => {
  test('Retry-After as an HTTP date, and from the Status body', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const dated = new ApiException(429, 'x', statusBody(429, 'TooManyRequests', 'slow down'), { 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' });
    assert.deepEqual(retryDecision(dated, true, now), { retry: true, retryAfterMs: 5000 });
    const body = new ApiException(429, 'x', JSON.stringify({ kind: 'Status', code: 429, reason: 'TooManyRequests', details: { retryAfterSeconds: 2 } }), {});
    assert.deepEqual(retryDecision(body, true, now), { retry: true, retryAfterMs: 2000 });
  });

  test('backoff is bounded by maxDelayMs and never below half a step', () => {
    assert.equal(backoffDelay(20, { baseDelayMs: 200, maxDelayMs: 5000, random: () => 0.999999 }), 5000);
    assert.equal(backoffDelay(0, { baseDelayMs: 200, random: () => 0 }), 100);
  });

  test('sleep rejects with Cancelled when aborted', async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await assert.rejects(p, (e: unknown) => e instanceof TerrariumError && e.code === 'Cancelled');
  });
});
