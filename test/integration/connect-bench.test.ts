// Keeps `npm run bench` honest: the same harness in tiny mode. Absolute figures are not checked
// (the machine is shared), but every transport must be measured with finite, positive figures on
// every round, and the one ordering that holds under any load: a new direct ssh connection is
// faster than one that starts a tunnel (a Node process or a kubectl process) first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIGURES, PEERS, runConnectBench } from '../bench/connect.bench';
import { TINY } from '../bench/harness';
import { which } from '../bench/which';
import { usingRealCluster } from './harness';

test('the connect benchmark measures every transport on an open session, in turns, with the shipped CLI', { skip: usingRealCluster() ? 'benchmarks run on kube-sim' : false, timeout: 300_000 }, async (t) => {
  const r = await runConnectBench(TINY);
  const expected = [PEERS.subject, ...(which('kubectl') ? [PEERS.peer] : []), PEERS.limit];
  assert.deepEqual(r.results.map((x) => x.name), expected, 'every transport measured');
  // Warmed up once each, then in turns: every transport leads one round (no cold first peer).
  assert.deepEqual(r.warmedUp, expected);
  assert.equal(r.orders.length, TINY.rounds);
  for (const o of r.orders) assert.deepEqual([...o].sort(), [...expected].sort(), 'each round measures every transport');
  assert.deepEqual(new Set(r.orders.map((o) => o[0])), new Set(expected), 'the order rotates: each transport goes first once');

  const positive = (v: number, what: string) => assert.ok(Number.isFinite(v) && v > 0, `${what} = ${v}`);
  for (const x of r.results) {
    // One session per round, each direction timed on it; connects and round trips spread over the rounds.
    assert.equal(x.samples.uploadMiBps.length, TINY.rounds, `${x.name}: one upload per round`);
    assert.equal(x.samples.downloadMiBps.length, TINY.rounds, `${x.name}: one download per round`);
    assert.equal(x.samples.connectMs.length, TINY.connects, `${x.name}: connects`);
    assert.equal(x.samples.rttMs.length, TINY.roundTrips, `${x.name}: round trips`);
    for (const [k, vs] of Object.entries(x.samples)) for (const v of vs as number[]) positive(v, `${x.name} ${k}`);
    for (const f of FIGURES) positive(f.pick(x), `${x.name} ${f.name}`);
  }
  // Connect time is what it says: a new ssh that starts the tunnel, well above a direct connect.
  const direct = r.results.find((x) => x.name === PEERS.limit)!;
  for (const x of r.results.filter((y) => y !== direct)) {
    assert.ok(direct.connectMedianMs < x.connectMedianMs, `direct connect ${direct.connectMedianMs} ms < ${x.name} ${x.connectMedianMs} ms`);
  }
  // The shipped bundles are the minified ones users get (the unminified CLI is several times larger),
  // and the generated config runs the ProxyCommand's own small bundle, not the CLI.
  assert.ok(r.cli.bytes < 6 * 1024 * 1024, `dist/cli.js is ${r.cli.bytes} bytes`);
  assert.match(r.proxyCommand, /\/proxy\.js --target-dir \S+ --target [0-9a-f]{32}$/);
  assert.ok(r.cli.proxyBytes < 512 * 1024, `dist/proxy.js is ${r.cli.proxyBytes} bytes`);

  // The table: one row per figure, stable names, units after the numbers, ratios with their targets.
  const rows = r.table.split('\n');
  assert.match(rows[0]!, /^figure \(median\)\s+terrarium ssh-proxy\s+kubectl exec tunnel\s+direct loopback \(limit\)\s+terrarium ÷ kubectl exec\s+terrarium ÷ direct$/);
  assert.deepEqual(rows.slice(2).map((l) => l.split(/\s{2,}/)[0]), FIGURES.map((f) => f.name));
  assert.match(r.table, /\nupload\s+[\d.]+ MiB\/s\s/);
  assert.match(r.table, /\nconnect\s+\d+ ms\s/);
  if (expected.includes(PEERS.peer)) assert.match(r.table, /\nconnect .* [\d.]+x \(target ≤ 1\.10x: (met|MISSED)\)/);
  assert.match(r.table, /\nupload .* [\d.]+x \(target ≥ 0\.60x: (met|MISSED)\)$/m);
  assert.ok(r.notes.join(' ').includes("cross kube-sim's own exec"), 'says what the ratios compare');

  if (r.skipped.length) t.skip(r.skipped.join('; '));
});
