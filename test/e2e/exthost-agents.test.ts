/** The mocha suite in exthost-agents/ (agent sessions that report) in code-server's real extension host against kube-sim. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { e2eSkipReason, runExtensionHostTests } from './harness';

// The scripted agent: says what it does, asks with the bell, then exits 3 whatever the answer.
const SCRIPTED = ['sh', '-c', 'echo "agent: reading the repo"; printf "Proceed? [y/n] \\a"; read a; echo "agent: got $a, giving up"; exit 3'];

test('agent sessions report: states in the tree, notifications, restart, output', { skip: e2eSkipReason() ?? false, timeout: 600_000 }, async (t) => {
  const run = await runExtensionHostTests(join(__dirname, 'exthost-agents'), {
    screenshotName: 'exthost-agents', testTimeoutMs: 120_000, timeoutMs: 420_000,
    settings: { 'terrarium.agents': [{ name: 'scripted', command: SCRIPTED }], 'terrarium.sessionPollSeconds': 2 },
  });
  for (const title of run.passed) t.diagnostic(`passed: ${title}`);
  assert.equal(run.failed.length, 0, `extension-host failures:\n${run.failed.map((f) => `${f.title}\n${f.error}`).join('\n\n')}`);
  assert.equal(run.exitCode, 0, `extension host exit code; log:\n${run.log.slice(-30).join('\n')}`);
  assert.ok(run.total && run.total > 0 && run.passed.length === run.total, `only ${run.passed.length} of ${run.total} passed`);
});
