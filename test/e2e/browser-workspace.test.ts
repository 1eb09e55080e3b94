/**
 * The workspace in a browser, end to end: a VS Code server inside a kube-sim sandbox (the
 * repository's code-server's bundled server in the workspace: test/integration/simVscodeServer.ts),
 * started by the core as the sandbox's user, reached through Terrarium's local port-forward.
 * Headless Chromium opens the tokened URL and the files written into the workspace (the PVC) before
 * are in its explorer; without the token, or with a wrong one, the server answers 403. Screenshots
 * go to .artifacts/e2e/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createEnvironment } from '../../src/core/devenv';
import { execInPod } from '../../src/core/kube/exec';
import { startBrowserSession } from '../../src/core/browser';
import { eventually, getTestCluster } from '../integration/harness';
import { linkSimVscodeServer, simVscodeServer } from '../integration/simVscodeServer';
import { artifactsDir } from './codeServer';
import { chromiumAvailable, chromiumPath } from './workbench';

const server = simVscodeServer();
const skip = 'missing' in server ? server.missing : !chromiumAvailable() ? `Chromium is not installed at ${chromiumPath}: run scripts/setup.sh` : undefined;

test('a VS Code server in a kube-sim sandbox opens in Chromium through the forward with its token, showing the workspace\'s files; no token or a wrong one is refused',
  { skip, timeout: 300_000 }, async (t) => {
    const tc = await getTestCluster(t);
    const pod = 'web-0';
    await createEnvironment(tc.cluster, { name: 'web', replicas: 1, image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    await eventually(async () => {
      const p = (await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace })).items.find((x) => x.metadata?.name === pod);
      return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, `${pod} ready`, 120_000);
    // Files in the PVC before any server exists.
    const w = await execInPod(tc.cluster, pod, ['sh', '-c', 'mkdir -p /workspace/agent-notes && printf "# plan\\n" > /workspace/agent-notes/plan.md && printf "hi\\n" > /workspace/sandbox-readme.txt'], { container: 'devenv' });
    assert.equal(w.exitCode, 0, w.stderr);
    await linkSimVscodeServer(tc.cluster, pod);

    const session = await startBrowserSession(tc.cluster, { sandbox: pod, idleMs: 0 });
    t.after(() => session.stop());

    const profile = mkdtempSync(join(tmpdir(), 'terrarium-chromium-'));
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    t.after(async () => { await browser.close().catch(() => {}); rmSync(profile, { recursive: true, force: true }); });
    mkdirSync(artifactsDir, { recursive: true });

    // No token, and a wrong one: the server's 403, before any workbench.
    const stranger = await browser.newContext();
    const page0 = await stranger.newPage();
    const none = await page0.goto(session.address);
    assert.equal(none?.status(), 403, 'no token');
    const wrong = await page0.goto(`${session.address}?tkn=not-the-token`);
    assert.equal(wrong?.status(), 403, 'wrong token');
    assert.equal(await page0.locator('.monaco-workbench').count(), 0);
    await page0.screenshot({ path: join(artifactsDir, 'browser-workspace-refused.png') });
    await stranger.close();

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(90_000);
    const res = await page.goto(session.url);
    assert.equal(res?.status(), 200, 'the token\'s redirect lands on the workbench');
    await page.locator('.monaco-workbench').waitFor();
    // A folder opened for the first time asks whether to trust it (VS Code's own dialog).
    const trust = page.getByRole('button', { name: /Yes, I trust the authors/ });
    await Promise.race([trust.waitFor({ timeout: 15_000 }).then(() => trust.click()).catch(() => {}),
      page.locator('.explorer-folders-view').waitFor({ timeout: 15_000 }).catch(() => {})]);
    const explorer = page.locator('.explorer-folders-view');
    if (!await explorer.isVisible()) await page.keyboard.press('Control+Shift+E');
    const row = (name: string) => explorer.locator('.monaco-list-row', { hasText: name });
    await row('agent-notes').waitFor();
    await row('sandbox-readme.txt').waitFor();
    await row('agent-notes').click();
    await row('plan.md').waitFor();
    assert.ok(!page.url().includes('tkn='), 'the token left the address bar (it is a cookie now)');
    await page.screenshot({ path: join(artifactsDir, 'browser-workspace.png') });

    await session.stop();
    assert.equal(await session.serverRunning(), false);
  });
