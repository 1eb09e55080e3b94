// Keeps the secrets benchmark from rotting: the same harness in a tiny mode. One figure is a
// behaviour, so it is checked: a warm panel refresh reads no Secret values at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSecretsBench } from '../bench/secrets.bench';
import { usingRealCluster } from './harness';

test('the secrets benchmark runs in tiny mode; a warm refresh reads no Secret values', { skip: usingRealCluster() ? 'benchmarks run on kube-sim' : false, timeout: 120_000 }, async () => {
  const r = await runSecretsBench({ secrets: 3, rounds: 2 });
  const panel = r.rows[0]!;
  assert.equal(panel.name, 'terrarium panel refresh');
  assert.equal(panel.secretValueReads, 0, 'destinations are checked with metadata-only GETs; key names come from the cache');
  assert.ok(panel.requests > 0 && panel.medianMs > 0);
  assert.match(r.table, /terrarium panel refresh \| [\d.]+ \| 1\.00 \|/);
  if (!r.skipped.length) assert.ok(r.rows.some((x) => x.name.startsWith('kubectl get (VSO') && x.secretValueReads > 0));
});
