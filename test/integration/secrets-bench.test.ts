// Keeps the secrets benchmark honest: the same harness in tiny mode. Times are not compared (the
// machine is shared), but every row must be measured with finite, positive figures, and the counts
// are behaviour: a warm refresh reads no Secret values, the cold one is reported with what it read,
// and kubectl, which has nothing but full GETs, carries values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SUBJECTS, runSecretsBench } from '../bench/secrets.bench';
import { which } from '../bench/which';
import { usingRealCluster } from './harness';

test('the secrets benchmark measures the cold and the warm panel refresh and kubectl, in turns', { skip: usingRealCluster() ? 'benchmarks run on kube-sim' : false, timeout: 300_000 }, async (t) => {
  const rounds = 3;
  const r = await runSecretsBench({ secrets: 3, rounds });
  const expected = [SUBJECTS.cold, SUBJECTS.warm, ...(which('kubectl') ? [SUBJECTS.status, SUBJECTS.full] : [])];
  assert.deepEqual(r.rows.map((x) => x.name), expected, 'every row measured');
  for (const x of r.rows) {
    assert.equal(x.samples.ms.length, rounds, `${x.name}: one run per round`);
    for (const v of [x.medianMs, ...x.samples.ms]) assert.ok(Number.isFinite(v) && v > 0, `${x.name}: ${v} ms`);
    assert.ok(x.requests > 0, `${x.name}: ${x.requests} API requests`);
    assert.ok(Number.isInteger(x.secretValueReads) && x.secretValueReads >= 0, `${x.name}: ${x.secretValueReads} value-carrying responses`);
  }
  const row = (n: string) => r.rows.find((x) => x.name === n)!;
  assert.equal(row(SUBJECTS.warm).secretValueReads, 0, 'destinations are checked with metadata-only GETs; key names come from the cache');
  // A cold panel does at least the warm one's work, and its count is printed, whatever it is.
  assert.ok(row(SUBJECTS.cold).requests >= row(SUBJECTS.warm).requests);
  assert.match(r.table, new RegExp(`\\n${SUBJECTS.cold.replace(/[()]/g, '\\$&')}\\s+[\\d.]+ ms\\s+\\S+\\s+\\d+\\s+\\d+`));
  assert.match(r.table, /\nterrarium panel: refresh \(warm\)\s+[\d.]+ ms .* 0 \(target ≤ 0: met\)$/m);
  assert.ok(r.notes.join(' ').includes('fresh process per call'), 'says how kubectl was timed');
  if (expected.includes(SUBJECTS.full)) assert.ok(row(SUBJECTS.full).secretValueReads > 0, 'kubectl get secret carries values');

  if (r.skipped.length) t.skip(r.skipped.join('; '));
});
