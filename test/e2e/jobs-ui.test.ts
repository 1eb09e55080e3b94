/**
 * Job sandboxes in a real VS Code (code-server + headless Chromium) against kube-sim: two Jobs run
 * by the cluster admin through the core (one prints and succeeds, one exits 3) appear under the
 * namespace's "Job Sandboxes" row with their state ("succeeded", "failed: … (exit 3)"), and
 * "Show Job Logs" from a row's context menu opens the Job's output in a read-only editor.
 * Screenshot: .artifacts/e2e/jobs-ui.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { e2eSkipReason, startE2E } from './harness';
import { runRowMenuItem } from './workbench';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { runJob } from '../../src/core/jobs/jobs';

const skip = e2eSkipReason();

test('Job sandboxes in the tree: their states, and Show Job Logs', { skip: skip ?? false, timeout: 300_000 }, async (t) => {
  const { workbench, cluster } = await startE2E(t, { sample: true });
  const { page } = workbench;
  const admin = openCluster({ kubeconfigPath: cluster.kubeconfig, namespace: 'devenv', env: {} });
  const ok = await runJob(admin, { name: 'job-ok', image: 'busybox', command: ['sh', '-c', 'echo built 42 files'], mode: 'run' }, { output: new PassThrough().resume() });
  const bad = await runJob(admin, { name: 'job-bad', image: 'busybox', command: ['sh', '-c', 'echo tests failed; exit 3'], mode: 'run' }, { output: new PassThrough().resume() });
  assert.equal(ok.exitCode, 0);
  assert.equal(bad.exitCode, 3);

  const row = (label: string | RegExp) => page.locator('.sidebar .monaco-list-row[role="treeitem"]', { has: page.locator('.label-name', { hasText: label }) });
  await workbench.openViewContainer('Terrarium');
  await row('Job Sandboxes').waitFor({ timeout: 60_000 });
  // Expanded, whatever it was before: a plain click on an open row (or one repainted under the
  // click) would collapse it or do nothing. Look at its state and click until it is open.
  const jobs = row('Job Sandboxes');
  for (let i = 0; i < 5 && !(await row('job-ok').isVisible()); i++) {
    if ((await jobs.getAttribute('aria-expanded')) !== 'true') await jobs.click();
    await row('job-ok').waitFor({ timeout: 10_000 }).catch(() => {});
  }
  await row('job-ok').waitFor({ timeout: 30_000 });
  await row('job-bad').waitFor({ timeout: 30_000 });
  const description = (label: string) => row(label).locator('.label-description').innerText();
  assert.match(await description('job-ok'), /^succeeded/);
  assert.match(await description('job-bad'), /^failed: .*\(exit 3\)/);
  await workbench.screenshot('jobs-ui');

  const logs = page.locator('.monaco-editor .view-lines', { hasText: 'built 42 files' });
  await runRowMenuItem(page, row('job-ok'), /^Show Job Logs$/, () => logs.isVisible(), { placeholder: 'Job sandbox', choose: 'job-ok' });
  await workbench.screenshot('jobs-ui-logs');
});
