// The agent API (src/core/jobs/api.ts) in the CI-Fixer shape, run as its documentation shows:
// init, writeFile, runCommand, readFile, teardown; teardown leaves nothing; a bad image rejects at init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, getTestCluster } from './harness';
import { JobSandbox } from '../../src/core/jobs/api';
import { jobPods, listJobs } from '../../src/core/jobs/jobs';
import { isTerrariumError } from '../../src/core/kube/errors';

test('the documented example runs: writeFile, runCommand (argv and a shell line, cwd, env, stdin), readFile, teardown leaves nothing', async (t) => {
  const { cluster } = await getTestCluster(t);
  const diffText = 'hello patch\n';
  const box = await JobSandbox.init(cluster, { image: 'busybox', timeout: '20m' });
  try {
    await box.writeFile('patch.diff', diffText);
    const r = await box.runCommand(['wc', '-l', 'patch.diff']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^\s*1 patch\.diff$/m);
    assert.equal(await box.readFile('patch.diff', 'utf8'), diffText);
    await box.writeFile('out/report.json', '{}');
    const again = await box.runCommand('echo "$X" > report.json; exit 5', { cwd: 'out', env: { X: '{"ok":true}' } });
    assert.equal(again.exitCode, 5);
    assert.equal(await box.readFile('/workspace/out/report.json', 'utf8'), '{"ok":true}\n');
    const piped = await box.runCommand(['cat'], { stdin: 'from stdin' });
    assert.equal(piped.stdout, 'from stdin');
    await assert.rejects(box.readFile('missing.txt'), (e) => isTerrariumError(e, 'NotFound'));
  } finally {
    await box.teardown();
  }
  await box.teardown();
  await assert.rejects(box.runCommand(['true']), (e) => isTerrariumError(e, 'InvalidInput'));
  await eventually(async () => !(await listJobs(cluster)).some((j) => j.name === box.name) && (await jobPods(cluster, box.name)).length === 0, 'the sandbox gone', 20_000);
});

test('init with an image that cannot be pulled rejects with the reason and leaves nothing', async (t) => {
  const { cluster } = await getTestCluster(t);
  await assert.rejects(JobSandbox.init(cluster, { image: 'registry.invalid/none:0', name: 'job-badimg' }), (e) => isTerrariumError(e) && /cannot be pulled/.test(e.message));
  await eventually(async () => !(await listJobs(cluster)).some((j) => j.name === 'job-badimg'), 'no Job left', 20_000);
});
