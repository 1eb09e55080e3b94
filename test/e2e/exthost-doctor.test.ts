/** The mocha suite in exthost-doctor/ (Run Doctor, Install Platform…) in code-server's real extension host against kube-sim. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { e2eSkipReason, runExtensionHostTests } from './harness';

test('Run Doctor and Install Platform in the extension host', { skip: e2eSkipReason() ?? false, timeout: 300_000 }, async (t) => {
  const run = await runExtensionHostTests(join(__dirname, 'exthost-doctor'), { screenshotName: 'exthost-doctor' });
  for (const title of run.passed) t.diagnostic(`passed: ${title}`);
  assert.equal(run.failed.length, 0, `extension-host failures:\n${run.failed.map((f) => `${f.title}\n${f.error}`).join('\n\n')}`);
  assert.equal(run.exitCode, 0, `extension host exit code; log:\n${run.log.slice(-30).join('\n')}`);
  assert.ok(run.total && run.total > 0 && run.passed.length === run.total, `only ${run.passed.length} of ${run.total} passed`);
});
