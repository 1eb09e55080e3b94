/**
 * Issue 4's user-facing scenarios in a real VS Code (code-server + headless Chromium) against
 * kube-sim: the tree shows environments and sandboxes; scaling from the palette updates the tree
 * from watch events; a tmux terminal runs a command; connect without Remote-SSH explains itself;
 * a cluster that goes away shows the welcome view and comes back with Retry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { e2eSkipReason, startE2E } from './harness';
import type { KubeSim } from '../kube-sim';

const skip = e2eSkipReason();

/** A TCP relay to a loopback port; close() refuses new connections and cuts the open ones. */
async function tcpRelay(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server = createServer((a) => {
    const b = connect(target, '127.0.0.1');
    for (const [x, y] of [[a, b], [b, a]] as const) {
      open.add(x);
      x.on('error', () => y.destroy());
      x.on('close', () => { open.delete(x); y.destroy(); });
      x.pipe(y);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as { port: number }).port,
    close: () => closed ??= new Promise((r) => { server.close(() => r()); for (const s of open) s.destroy(); }),
  };
}

test('Terrarium in a real VS Code: tree, scale, tmux terminal, connect, cluster loss', { skip: skip ?? false, timeout: 300_000 }, async (t) => {
  const { workbench, cluster } = await startE2E(t, { sample: true, settings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  const { page } = workbench;
  const sim = cluster.sim as unknown as KubeSim;
  const row = (label: string) => page.locator('.sidebar .monaco-list-row[role="treeitem"]', { has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) });
  const quickPick = async (text: string) => {
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(text);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first().waitFor();
    await page.keyboard.press('Enter');
  };
  /** Fills the input box whose title contains `title` (waiting for it, so a box that is closing is never typed into). */
  const inputBox = async (value: string, title?: string) => {
    if (title) await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(value);
    await page.keyboard.press('Enter');
  };

  await t.test('the view shows the environment and its sandboxes', async () => {
    await workbench.openViewContainer('Terrarium');
    await row('sample-1').waitFor({ timeout: 60_000 });
    const labels = await workbench.treeLabels();
    for (const l of ['kube-sim', 'devenv', 'sample', 'sample-0', 'sample-1']) assert.ok(labels.includes(l), `${l} in ${labels.join(', ')}`);
    assert.match(await row('sample').innerText(), /2\/2 ready/);
    await workbench.screenshot('ui-1-tree');
  });

  await t.test('creating an environment from the palette: a short guided input, then the tree shows it', async () => {
    await workbench.runCommand('Terrarium: Create Environment…');
    await inputBox('review', '(1/4)');
    await inputBox('1', '(2/4)');
    await inputBox('terrarium/devenv:dev', '(3/4)');
    await inputBox('250m/1 512Mi/1Gi', '(4/4)');
    await row('review-0').waitFor({ timeout: 60_000 }).catch(async (e) => { await workbench.screenshot('ui-2a-failed'); throw e; });
    await workbench.screenshot('ui-2a-created');
    const sts = sim.objects.get('statefulsets.apps', 'devenv', 'review');
    assert.deepEqual(sts.spec.template.spec.containers[0].resources, { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } });
  });

  await t.test('scaling from the palette updates the tree from watch events', async () => {
    await workbench.runCommand('Terrarium: Scale Environment…');
    await quickPick('sample');
    await inputBox('3', 'Scale sample');
    await row('sample-2').waitFor({ timeout: 60_000 });
    await row('sample').filter({ hasText: '3/3 ready' }).waitFor({ timeout: 60_000 });
    await workbench.screenshot('ui-2-scaled');
  });

  await t.test('a tmux terminal in a sandbox runs a command', async () => {
    await workbench.runCommand('Terrarium: Open tmux Terminal');
    await quickPick('sample-0');
    const term = page.locator('.terminal-wrapper .xterm-rows');
    await term.first().waitFor({ timeout: 60_000 });
    // tmux has attached and the shell drew its prompt ("$ " or "# "; the rows' text has no newlines,
    // and tmux's status line comes last).
    await page.locator('.terminal-wrapper .xterm-rows', { hasText: /[$#]\s/ }).first().waitFor({ timeout: 60_000 });
    await workbench.screenshot('ui-3a-terminal-open');
    await page.locator('.terminal-wrapper .xterm-helper-textarea').first().focus();
    await page.keyboard.type('echo terrarium-$((6*7))');
    await page.keyboard.press('Enter');
    await page.locator('.terminal-wrapper .xterm-rows', { hasText: 'terrarium-42' }).first().waitFor({ timeout: 30_000 });
    await workbench.screenshot('ui-3-tmux-terminal');
  });

  await t.test('connect without Remote-SSH says so and offers the ssh command', async () => {
    await workbench.runCommand('Terrarium: Connect in New Window');
    await quickPick('sample-1');
    const note = page.locator('.notifications-toasts .notification-list-item-message', { hasText: 'Remote - SSH extension is not installed' });
    await note.first().waitFor({ timeout: 60_000 });
    await page.locator('.notifications-toasts .monaco-button', { hasText: 'Copy SSH Command' }).first().waitFor();
    await workbench.screenshot('ui-4-connect-without-remote-ssh');
  });

  await t.test('a cluster that goes away shows the welcome view, and Retry brings the tree back', async (st) => {
    // The workbench reaches kube-sim through a TCP relay this test controls. "Going away" closes the
    // relay; "coming back" is a new relay on another port, written into the kubeconfig. The running
    // watches keep retrying the dead port, so only Retry (which re-reads the kubeconfig) can bring
    // the tree back: the click is what is tested, not the watches' own reconnect.
    const original = readFileSync(cluster.kubeconfig, 'utf8');
    const server = /server: (https?):\/\/127\.0\.0\.1:(\d+)/.exec(original);
    assert.ok(server, 'kube-sim kubeconfig has a loopback server');
    const pointAt = (port: number) => writeFileSync(cluster.kubeconfig, original.replace(server[0], `server: ${server[1]}://127.0.0.1:${port}`));
    const first = await tcpRelay(Number(server[2]));
    st.after(() => first.close());
    pointAt(first.port);
    await workbench.runCommand('Terrarium: Refresh');
    await row('sample-0').waitFor({ timeout: 60_000 });

    await first.close();
    await workbench.runCommand('Terrarium: Refresh');
    const welcome = page.locator('.sidebar .welcome-view-content', { hasText: 'refused the connection' });
    await welcome.waitFor({ timeout: 60_000 }).catch(async (e) => { await workbench.screenshot('ui-5-failed'); throw e; });
    await workbench.screenshot('ui-5-unreachable');

    const second = await tcpRelay(Number(server[2]));
    st.after(() => second.close());
    pointAt(second.port);
    assert.equal(await welcome.count(), 1, 'nothing but Retry can bring the tree back');
    await page.locator('.sidebar .welcome-view-content a, .sidebar .welcome-view-content .monaco-button', { hasText: 'Retry' }).first().click({ timeout: 30_000 });
    await row('sample-0').waitFor({ timeout: 60_000 });
    await workbench.screenshot('ui-6-back');
    writeFileSync(cluster.kubeconfig, original);
  });
});
