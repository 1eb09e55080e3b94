// The soak's verdicts (test/soak/soak.ts) fail on what they must catch: a stack trace or silence
// is not a clear failure; descriptors, sockets or RSS that grow are not flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwarderFlat, isClearFailure, summarize, type SoakReport } from '../soak/soak';

test('a clear failure says something and carries no stack trace', () => {
  assert.equal(isClearFailure('terrarium: Cannot reach the API server http://127.0.0.1:1 of context "x": the connection was refused (ECONNREFUSED).\nkex_exchange_identification: Connection closed by remote host'), true);
  assert.equal(isClearFailure('Connection closed by 127.0.0.1 port 45261'), true);
  assert.equal(isClearFailure(''), false);
  assert.equal(isClearFailure('TypeError: Cannot read properties of undefined (reading \'x\')\n    at open (/x/dist/proxy.js:1:2345)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)'), false);
});

const report = (start: [number, number, number], end: [number, number, number]): SoakReport => ({
  cycles: 1, ok: 1, clearFailures: [], unclearFailures: [], faults: [], slowRecoveries: [], modelMismatches: [], wallMs: 1,
  forwarder: { start: { fds: start[0], sockets: start[1], rssKiB: start[2] }, end: { fds: end[0], sockets: end[1], rssKiB: end[2] } },
});

test('the forwarder is flat unless descriptors, sockets or RSS grew', () => {
  assert.equal(forwarderFlat(report([20, 3, 60_000], [20, 3, 62_000])), undefined);
  assert.match(forwarderFlat(report([20, 3, 60_000], [40, 3, 60_000]))!, /descriptors grew from 20 to 40/);
  assert.match(forwarderFlat(report([20, 3, 60_000], [22, 6, 60_000]))!, /sockets grew from 3 to 6/);
  assert.match(forwarderFlat(report([20, 3, 60_000], [20, 3, 200_000]))!, /RSS grew/);
  assert.equal(summarize(report([20, 3, 60_000], [40, 3, 60_000])).passed, false);
  assert.equal(summarize(report([20, 3, 60_000], [20, 3, 60_000])).passed, true);
});
