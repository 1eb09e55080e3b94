// Keeps the claims benchmark honest: the same harness in tiny mode. Latencies are not compared with
// the targets (the machine is shared), but every claim must succeed on its own sandbox, every
// latency be measured, the writes counted at the API server (each claim's PVC patch and its key
// install's exec at least), and the table print both rows with their units and targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PEER_FIGURES, SUBJECTS, TINY_CLAIMS, formatClaimsTable, percentile, runClaimsBench } from '../bench/claims.bench';
import { usingRealCluster } from './harness';

test('percentile is nearest-rank; the table keeps names, units, the peer and the targets', () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([5, 1, 3, 2, 4], 99), 5);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 99);
  const table = formatClaimsTable({ opts: TINY_CLAIMS, p50Ms: 40, p99Ms: 120, achievedRate: 50, writesPerClaim: 2 });
  assert.match(table, new RegExp(`${SUBJECTS.terrarium.replace(/[()]/g, '\\$&')}\\s+50 claims/s\\s+40 ms\\s+120 ms \\(target ≤ 150 ms: met\\)\\s+0\\.32x\\s+2\\.00 \\(target ≤ 2: met\\)`));
  assert.match(table, new RegExp(`${SUBJECTS.peer.replace(/[()]/g, '\\$&')}\\s+${PEER_FIGURES.rate} claims/s\\s+92 ms\\s+376 ms\\s+1\\.00x\\s+n/a`));
  assert.match(formatClaimsTable({ opts: TINY_CLAIMS, p50Ms: 90, p99Ms: 400, achievedRate: 50, writesPerClaim: 3 }), /400 ms \(target ≤ 150 ms: MISSED\).*3\.00 \(target ≤ 2: MISSED\)/);
});

test('the claims benchmark claims a warm pool as distinct users and counts latency and writes', { skip: usingRealCluster() ? 'benchmarks run on kube-sim' : false, timeout: 300_000 }, async () => {
  const r = await runClaimsBench(TINY_CLAIMS);
  assert.deepEqual(r.errors, [], 'every claim succeeds');
  assert.equal(r.latenciesMs.length, TINY_CLAIMS.claims);
  assert.equal(new Set(r.sandboxes).size, TINY_CLAIMS.claims, `each user got a sandbox of their own: ${r.sandboxes}`);
  for (const v of r.latenciesMs) assert.ok(Number.isFinite(v) && v > 0, `latency ${v} ms`);
  assert.ok(r.p50Ms <= r.p99Ms);
  // At least the claim record and the key install per claim, seen by the API server.
  assert.ok((r.writesByKind['PATCH persistentvolumeclaims'] ?? 0) >= TINY_CLAIMS.claims, JSON.stringify(r.writesByKind));
  assert.equal(r.writesByKind.exec, TINY_CLAIMS.claims, `one exec (key install) per claim: ${JSON.stringify(r.writesByKind)}`);
  assert.ok(r.writesPerClaim >= 2);
  assert.match(r.table, /claims\/s .* ms .* ms \(target ≤ 150 ms: (met|MISSED)\) .*x .*\(target ≤ 2: (met|MISSED)\)/);
  assert.ok(r.notes.join(' ').includes('published GKE numbers'), 'says where the peer figures come from');
});
