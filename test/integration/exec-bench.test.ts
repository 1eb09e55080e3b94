// Keeps the exec benchmark honest: the same harness in tiny mode. Absolute figures are not checked
// (the machine is shared), but every subject must be measured with finite, positive times, the exec
// must really list the tmux session it runs against, and the table must print its rows with units,
// the ratio's target and the emulator's share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMAND, SUBJECTS, TINY_EXEC, formatExecTable, runExecBench } from '../bench/exec.bench';
import { which } from '../bench/which';
import { usingRealCluster } from './harness';

test('the exec table: rows keep their names, times in ms, the ratio with its target, the emulator taken out', () => {
  const table = formatExecTable({ terrariumMs: 12, kubectlMs: 150, spawnMs: 5 });
  assert.match(table, /terrarium in-process exec\s+12\.0 ms\s+0\.08x \(target ≤ 0\.12x: met\)\s+0\.05x/);
  assert.match(table, /kubectl exec process\s+150\.0 ms\s+1\.00x\s+1\.00x/);
  assert.match(table, /the command spawned directly \(emulator's share\)\s+5\.0 ms\s+0\.03x\s+n\/a/);
  assert.match(formatExecTable({ terrariumMs: 40, kubectlMs: 150, spawnMs: 5 }), /0\.27x \(target ≤ 0\.12x: MISSED\)/);
  assert.match(formatExecTable({ terrariumMs: 40, kubectlMs: undefined, spawnMs: 5 }), /kubectl exec process\s+not measured\s+n\/a/);
});

test('the exec benchmark times in-process exec, kubectl exec and the bare command against one kube-sim pod', { skip: usingRealCluster() ? 'benchmarks run on kube-sim' : false, timeout: 300_000 }, async (t) => {
  const r = await runExecBench(TINY_EXEC);
  assert.match(r.output, /^bench: 1 windows/m, `${COMMAND.join(' ')} listed the session: ${r.output}`);
  const positive = (v: number, what: string) => assert.ok(Number.isFinite(v) && v > 0, `${what} = ${v}`);
  assert.equal(r.samples.terrarium.length, TINY_EXEC.runs);
  assert.equal(r.samples.spawn.length, TINY_EXEC.runs);
  for (const v of [...r.samples.terrarium, ...r.samples.spawn, ...r.samples.kubectl]) positive(v, 'a round trip');
  positive(r.terrariumMs, SUBJECTS.terrarium);
  positive(r.spawnMs, SUBJECTS.spawn);
  if (which('kubectl')) {
    assert.equal(r.samples.kubectl.length, TINY_EXEC.runs);
    positive(r.kubectlMs!, SUBJECTS.peer);
    assert.match(r.table, /terrarium in-process exec\s+[\d.]+ ms\s+[\d.]+x \(target ≤ 0\.12x: (met|MISSED)\)/);
  } else {
    t.skip(r.skipped.join('; '));
  }
});
