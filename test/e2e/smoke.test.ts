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
  assert.doesNotMatch(extensionHostLog(server), /Activating extension 'terrarium-dev\.terrarium' failed/);

  await workbench.openViewContainer('Terrarium');
  const errors = await page.locator('.notifications-toasts .notification-list-item:has(.codicon-error) .notification-list-item-message').allInnerTexts();
  assert.deepEqual(errors, [], 'no error notification');
  const shot = await workbench.screenshot('smoke-clusters-view');
  assert.ok(existsSync(shot), `screenshot saved to ${shot}`);
});
