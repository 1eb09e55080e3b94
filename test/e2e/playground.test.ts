/**
 * `npm run playground` end to end: it prints a URL that serves the workbench, the cluster it shows
 * is the team product (claims enforced, the controller running) while VS Code's user stays the
 * cluster admin, and Ctrl-C (SIGINT) stops code-server, the controller and kube-sim with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { e2eSkipReason, killGroup, repoRoot, spawnGroup } from './harness';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { platformStatus } from '../../src/core/platform/status';

/** Pids of processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try { if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(text)) found.push(Number(name)); } catch { /* gone */ }
  }
  return found;
}

test('the playground prints a working URL and Ctrl-C stops everything', { skip: e2eSkipReason() ?? false, timeout: 240_000 }, async (t) => {
  const state = mkdtempSync(join(tmpdir(), 'terrarium-playground-'));
  const child = spawnGroup(process.execPath, [join(repoRoot, 'scripts', 'playground.mjs'), '--state', state], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(async () => { await killGroup(child); rmSync(state, { recursive: true, force: true }); });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\S*)/.exec(output);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the playground exited (${code}) before printing a URL:\n${output}`)));
  });

  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /vscode-workbench-web-configuration/, 'the URL serves the VS Code workbench');
  assert.ok(processesMentioning(state).length > 1, 'code-server runs with the playground state');

  // What the tree reads, with VS Code's kubeconfig: enforced claims, a running controller; the user is the cluster admin.
  const cluster = openCluster({ kubeconfigPath: join(state, 'cluster', 'kubeconfig'), namespace: 'devenv', env: {} });
  const status = await platformStatus(cluster);
  assert.equal(status.claims.state, 'enforced', status.claims.detail);
  assert.equal(status.controller.state, 'running', status.controller.detail);
  assert.match(output, /installing the Terrarium platform in namespace devenv and starting its controller/);

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.kill(child.pid!, 'SIGINT');
  assert.equal(await exited, 0, `the playground exits cleanly on Ctrl-C:\n${output}`);
  assert.deepEqual(processesMentioning(state), [], 'nothing of the playground is left running');
  await assert.rejects(fetch(url, { signal: AbortSignal.timeout(2000) }), 'the URL is gone');
});
