/**
 * The mocha suites under ./exthost, run inside code-server's real Node extension host with this
 * repository as the extension under development.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { e2eSkipReason, runExtensionHostTests } from './harness';

test('extension-host mocha suites pass', { skip: e2eSkipReason() ?? false, timeout: 300_000 }, async (t) => {
  const run = await runExtensionHostTests(join(__dirname, 'exthost'), { screenshotName: 'exthost-tests' });
  for (const title of run.passed) t.diagnostic(`passed: ${title}`);
  const failures = run.failed.map((f) => `${f.title}\n${f.error}`).join('\n\n');
  assert.equal(run.failed.length, 0, `extension-host failures:\n${failures}`);
  assert.equal(run.exitCode, 0, `extension host exit code; log:\n${run.log.slice(-30).join('\n')}`);
  // Every test mocha found must have passed: none pending, none missing from the results.
  assert.deepEqual(run.pending, [], 'pending (skipped) extension-host tests');
  assert.ok(run.total && run.total > 0, 'mocha found the extension-host tests');
  assert.equal(run.passed.length, run.total, `only ${run.passed.length} of ${run.total} extension-host tests passed`);
});
