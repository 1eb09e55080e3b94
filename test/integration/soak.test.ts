// The soak's short version (npm run soak runs 1,000 cycles): 14 SSH cycles through the ProxyCommand
// and `terrarium forward`, a seeded fault during about one in two (every kind: dropped streams,
// pod restarts, API server restarts, 429/500 bursts). Every cycle succeeds or fails with a clear
// message, connections work again within 3 s of each fault, the forwarder's descriptors, sockets
// and RSS stay flat, and the informer's model equals the server after every fault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, runSoak, summarize } from '../soak/soak';

test('soak: 14 seeded cycles under faults', { timeout: 170_000 }, async () => {
  const lines: string[] = [];
  const report = await runSoak({ ...DEFAULTS, cycles: 14, seed: 5, faultEvery: 2, payloadBytes: 64 * 1024, log: (l) => lines.push(l) });
  const { lines: summary, passed } = summarize(report);
  const said = [...lines, ...summary].join('\n');
  assert.ok(report.faults.length >= 5, `faults fired: ${report.faults.length}\n${said}`);
  assert.equal(report.unclearFailures.length, 0, said);
  assert.deepEqual(report.slowRecoveries, [], said);
  assert.deepEqual(report.modelMismatches, [], said);
  assert.ok(passed, said);
  assert.ok(report.ok >= report.cycles - report.faults.length, `most cycles succeed: ${report.ok}/${report.cycles}\n${said}`);
});
