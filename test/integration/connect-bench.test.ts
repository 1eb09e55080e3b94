// Keeps `npm run bench` from rotting: the same harness in a tiny mode (seconds, no figures checked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnectBench } from '../bench/connect.bench';
import { TINY } from '../bench/harness';

test('the connect benchmark runs end to end in tiny mode and prints a side-by-side table', async () => {
  const r = await runConnectBench(TINY);
  const names = r.results.map((x) => x.name);
  assert.equal(names[0], 'terrarium ssh-proxy');
  assert.ok(names.includes('direct loopback (limit)'));
  for (const x of r.results) {
    assert.ok(x.throughputMiBps > 0 && x.rttMedianMs > 0 && x.connectMedianMs > 0, `${x.name} has figures`);
  }
  assert.match(r.table, /transport .*throughput 1 MiB .*ratio/);
  assert.match(r.table, /terrarium ssh-proxy .*1\.00x/);
});
