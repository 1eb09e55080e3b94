/**
 * Issue 5 in a real VS Code (code-server + headless Chromium) against kube-sim and its Vault
 * Secrets Operator stand-in: the Secrets & Scaling webview renders every secret state, keeps a
 * hostile condition message inert, reveals a value only after the click, resyncs, scales the
 * environment (the tree follows), survives a window reload, and explains a cluster without VSO.
 * Screenshots go to .artifacts/e2e/secrets-*.png.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSkipReason, startE2E } from './harness';
import type { KubeSim } from '../kube-sim';

const skip = e2eSkipReason();
const CANARY = 'canary-e2e-3c9d-never-shown-unasked';
const XSS = '<img src=x onerror="document.title=\'pwned\'"><b id="injected">bold</b>';

test('Secrets & Scaling panel in a real VS Code', { skip: skip ?? false, timeout: 420_000 }, async (t) => {
  const { workbench, cluster } = await startE2E(t, { sample: true });
  const { page } = workbench;
  const sim = cluster.sim as unknown as KubeSim;
  const vss = 'vaultstaticsecrets.secrets.hashicorp.com';
  const secrets = 'secrets';
  const make = (name: string, path: string, destination: { name: string; create: boolean }) => sim.objects.create(vss, {
    apiVersion: 'secrets.hashicorp.com/v1beta1', kind: 'VaultStaticSecret', metadata: { name, namespace: 'devenv' },
    spec: { mount: 'secret', type: 'kv-v2', path, refreshAfter: '30s', destination, vaultAuthRef: 'default' },
  });
  // One secret per state the panel shows, next to the sample's synced/failed ones.
  sim.vso.vault.write('secret/canary', { TOKEN: CANARY });
  make('canary', 'canary', { name: 'canary', create: true });
  sim.vso.vault.deny('secret/hostile', XSS);
  make('hostile', 'hostile', { name: 'hostile', create: true });
  sim.objects.create(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pre-made', namespace: 'devenv' }, data: {} });
  sim.vso.vault.write('secret/pre', { A: 'b' });
  make('vanished', 'pre', { name: 'pre-made', create: false });

  const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  const card = (kind: string, name: string) => frame.locator(`article#secret-${kind}-${name}`);
  const stateOf = (kind: string, name: string) => card(kind, name).getAttribute('data-state');
  const waitState = async (kind: string, name: string, state: string, timeout = 30_000) => {
    await frame.locator(`article#secret-${kind}-${name}[data-state="${state}"]`).waitFor({ timeout })
      .catch(async (e) => { await workbench.screenshot(`secrets-failed-${name}-${state}`); throw new Error(`${name} never showed "${state}" (it shows "${await stateOf(kind, name).catch(() => '?')}"): ${e.message}`); });
  };
  const row = (label: string) => page.locator('.sidebar .monaco-list-row[role="treeitem"]', { has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) });

  await t.test('opened from the palette, the panel shows every secret with its state and the scaling', async () => {
    await workbench.openViewContainer('Terrarium');
    await row('sample-1').waitFor({ timeout: 60_000 });
    // The destination disappears after the operator synced it: only the metadata check can tell.
    const synced = async () => ((await Promise.resolve().then(() => sim.objects.get(vss, 'devenv', 'vanished')).catch(() => undefined)) as any)
      ?.status?.conditions?.some((c: any) => c.type === 'SecretSynced' && c.status === 'True');
    for (const deadline = Date.now() + 60_000; !(await synced()) && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await synced(), 'the operator synced "vanished" into pre-made before pre-made goes away');
    sim.objects.delete(secrets, 'devenv', 'pre-made');
    sim.vso.setDown(true);
    sim.vso.vault.write('secret/later', { B: 'c' });
    make('later', 'later', { name: 'later', create: true });
    await workbench.runCommand('Terrarium: Open Secrets & Scaling');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('sample');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'sample' }).first().waitFor();
    await page.keyboard.press('Enter');
    await waitState('VaultStaticSecret', 'app-config', 'synced', 60_000);
    await waitState('VaultDynamicSecret', 'db-creds', 'synced');
    await waitState('VaultPKISecret', 'sample-tls', 'synced');
    await waitState('VaultStaticSecret', 'legacy-token', 'failed');
    await waitState('VaultStaticSecret', 'vanished', 'missing');
    await waitState('VaultStaticSecret', 'later', 'pending');
    assert.match(await card('VaultStaticSecret', 'legacy-token').locator('.detail').innerText(), /permission denied/);
    assert.match(await card('VaultDynamicSecret', 'db-creds').locator('[data-testid="restart-warning"]').innerText(), /restarts sample/);
    assert.equal(await card('VaultStaticSecret', 'app-config').locator('[data-testid="dependencies"]').innerText(), 'VaultAuth default (valid) → VaultConnection default (valid)');
    assert.match(await frame.locator('#replicas-summary').innerText(), /2 of 2 ready/);
    await workbench.screenshot('secrets-1-panel');
  });

  await t.test('the operator going down turns a secret stale; back up, it is synced again', async () => {
    sim.vso.age('devenv', 'VaultStaticSecret', 'app-config', 10 * 60_000);
    await frame.locator('#refresh').click();
    await waitState('VaultStaticSecret', 'app-config', 'stale');
    await card('VaultStaticSecret', 'app-config').scrollIntoViewIfNeeded();
    await workbench.screenshot('secrets-2-stale');
    sim.vso.setDown(false);
    await frame.locator('#refresh').click();
    await waitState('VaultStaticSecret', 'app-config', 'synced');
    await waitState('VaultStaticSecret', 'later', 'synced');
  });

  await t.test('a hostile condition message renders as text: no element, no script', async () => {
    await waitState('VaultStaticSecret', 'hostile', 'failed');
    const detail = card('VaultStaticSecret', 'hostile').locator('.detail');
    assert.ok((await detail.innerText()).includes(XSS), 'shown verbatim');
    assert.equal(await frame.locator('#injected').count(), 0);
    assert.equal(await card('VaultStaticSecret', 'hostile').locator('img').count(), 0);
    assert.notEqual(await frame.locator('body').evaluate(() => (globalThis as any).document.title), 'pwned');
    await card('VaultStaticSecret', 'hostile').scrollIntoViewIfNeeded();
    await workbench.screenshot('secrets-3-hostile-message-inert');
  });

  await t.test('a value is shown only after Reveal, and gone after Hide', async () => {
    await waitState('VaultStaticSecret', 'canary', 'synced');
    const c = card('VaultStaticSecret', 'canary');
    assert.ok(!(await frame.locator('body').innerText()).includes(CANARY), 'not on the page before the click');
    await c.locator('tr[data-key="TOKEN"] vscode-button', { hasText: 'Reveal' }).click();
    await c.locator('[data-testid="value"]').filter({ hasText: CANARY }).waitFor();
    await c.scrollIntoViewIfNeeded();
    await workbench.screenshot('secrets-4-revealed');
    // Keyboard: the Hide button takes focus and Enter activates it.
    await c.locator('tr[data-key="TOKEN"] vscode-button', { hasText: 'Hide' }).focus();
    await page.keyboard.press('Enter');
    await c.locator('[data-testid="value"]').waitFor({ state: 'detached' });
    assert.ok(!(await frame.locator('body').innerText()).includes(CANARY));
  });

  await t.test('Resync: the panel shows the request, then that the operator reconciled', async () => {
    const before = sim.vso.reconciles('devenv', 'VaultStaticSecret', 'app-config');
    const c = card('VaultStaticSecret', 'app-config');
    await c.locator('vscode-button', { hasText: 'Resync' }).click();
    await c.locator('[data-testid="resync-status"]', { hasText: 'Reconciled' }).waitFor({ timeout: 20_000 });
    assert.ok(sim.vso.reconciles('devenv', 'VaultStaticSecret', 'app-config') > before);
    await c.scrollIntoViewIfNeeded();
    await workbench.screenshot('secrets-5-resynced');
  });

  await t.test('scaling from the panel updates the tree; scaling down asks first, naming the sandbox', async () => {
    await frame.locator('#replicas input').fill('3');
    await frame.locator('#scale-apply').click();
    await row('sample-2').waitFor({ timeout: 60_000 });
    await row('sample').filter({ hasText: '3/3 ready' }).waitFor({ timeout: 60_000 });
    await frame.locator('#replicas-summary', { hasText: '3 of 3 ready' }).waitFor({ timeout: 30_000 });
    await frame.locator('#replicas input').fill('2');
    await frame.locator('#scale-apply').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /sample-2[\s\S]*workspace-sample-2\) are kept/);
    await workbench.screenshot('secrets-6-scale-down-confirm');
    await dialog.locator('.monaco-button', { hasText: 'Scale Down' }).click();
    await row('sample').filter({ hasText: '2/2 ready' }).waitFor({ timeout: 60_000 });
    await frame.locator('#kept', { hasText: 'workspace-sample-2' }).waitFor({ timeout: 30_000 });
    await workbench.screenshot('secrets-7-scaled-down');
  });

  await t.test('after a window reload the panel is restored, and no revealed value comes back', async () => {
    await workbench.runCommand('Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor();
    await waitState('VaultStaticSecret', 'app-config', 'synced', 90_000);
    assert.equal(await frame.locator('[data-testid="value"]').count(), 0);
    assert.match(await page.locator('.tab', { hasText: 'Secrets & Scaling: sample' }).first().innerText(), /Secrets & Scaling: sample/);
  });

  await t.test('the panel follows the color theme', async () => {
    const colors = () => frame.locator('body').evaluate((b) => { const cs = (globalThis as any).getComputedStyle(b); return `${cs.color} on ${cs.backgroundColor}`; });
    const before = await colors();
    // Ctrl+K Ctrl+T: the palette would rank "Browse Color Themes in Marketplace" first.
    await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 } }).catch(() => {});
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+T');
    const dark = page.locator('.quick-input-widget .monaco-list-row', { hasText: /Dark/ }).first();
    await dark.waitFor({ timeout: 20_000 }).catch(async (e) => { await workbench.screenshot('secrets-failed-theme-picker'); throw e; });
    await page.locator('.quick-input-widget input').fill('Dark');
    await dark.waitFor();
    await page.keyboard.press('Enter');
    for (let i = 0; i < 150 && await colors() === before; i++) await page.waitForTimeout(100);
    assert.notEqual(await colors(), before, 'text colour follows the theme');
    await frame.locator('#secrets').scrollIntoViewIfNeeded();
    await workbench.screenshot('secrets-9-dark-theme');
  });

  await t.test('without the Vault Secrets Operator the panel says how to install it', async () => {
    sim.vso.uninstall();
    try {
      await frame.locator('#refresh').click();
      await frame.locator('#vso-missing').waitFor({ timeout: 30_000 });
      assert.match(await frame.locator('#vso-missing').innerText(), /helm install vault-secrets-operator/);
      await workbench.screenshot('secrets-8-no-vso');
    } finally {
      sim.vso.install();
    }
  });

  const errors = workbench.consoleLines.filter((l) => /Content Security Policy|Refused to/.test(l));
  assert.deepEqual(errors, [], 'no CSP violations in the webview');
});
