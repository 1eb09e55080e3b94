/**
 * The packaged extension in a real VS Code (code-server + headless Chromium): the workbench loads,
 * the Terrarium activity-bar entry opens the Clusters view, and the extension activates cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { e2eSkipReason, extensionHostLog, startE2E } from './harness';

const skip = e2eSkipReason();

test('the workbench shows the Terrarium view and the extension activates', { skip: skip ?? false, timeout: 180_000 }, async (t) => {
  const { workbench, server } = await startE2E(t);
  const { page } = workbench;
  // Every error toast shown from now on is recorded, even one that a later toast or a click hides.
  const ERROR_TOAST = '.notifications-toasts .notification-list-item:has(.codicon-error) .notification-list-item-message';
  await page.evaluate(`(() => {
    const seen = new Set();
    globalThis.__terrariumErrorToasts = seen;
    const look = () => document.querySelectorAll(${JSON.stringify(ERROR_TOAST)}).forEach((n) => seen.add(n.innerText));
    new MutationObserver(look).observe(document.body, { childList: true, subtree: true, characterData: true });
    look();
  })()`);

  const entry = page.locator('.activitybar a.action-label[aria-label^="Terrarium"]');
  await entry.first().waitFor(); // extension view containers appear once the extension host has scanned
  assert.equal(await entry.count(), 1, 'one Terrarium entry in the activity bar');

  await workbench.openViewContainer('Terrarium');
  const title = page.locator('.sidebar .composite.title .title-label');
  await title.filter({ hasText: /Clusters/i }).waitFor();
  // The view shows something: a tree row or one of its welcome messages, not an empty pane.
  await page.locator('.sidebar .monaco-list-row[role="treeitem"], .sidebar .welcome-view-content').first().waitFor();

  const activationMs = await workbench.activationTimeMs('Terrarium');
  t.diagnostic(`extension activation: ${activationMs} ms (VS Code's measurement)`);
  // The extension host writes its log on its own schedule: wait until it names our extension.
  const deadline = Date.now() + 60_000;
  while (!/terrarium-dev\.terrarium/.test(extensionHostLog(server)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  const log = extensionHostLog(server);
  assert.match(log, /terrarium-dev\.terrarium/, 'the extension host log mentions the extension');
  assert.doesNotMatch(log, /Activating extension 'terrarium-dev\.terrarium' failed/);

  await workbench.openViewContainer('Terrarium');
  const errors = await page.evaluate('[...globalThis.__terrariumErrorToasts]') as string[];
  assert.deepEqual(errors, [], 'no error notification at any point');
  const shot = await workbench.screenshot('smoke-clusters-view');
  assert.ok(existsSync(shot), `screenshot saved to ${shot}`);
});
