/**
 * The VS Code workbench in headless Debian Chromium, driven by playwright-core, with the selectors
 * measured on VS Code 1.100 and 1.139 (see the real-vscode-e2e notes).
 */
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactsDir, type CodeServer } from './codeServer';

export const chromiumPath = process.env.TERRARIUM_CHROMIUM || '/usr/bin/chromium';

export interface WorkbenchOptions {
  /** Runs in the page before the workbench's own scripts (e.g. to inject developmentOptions). */
  initScript?: string;
  /** Functions the page may call, installed before navigation. */
  expose?: Record<string, (...args: any[]) => unknown>;
  /** Default 60 s: a cold workbench on a 2-core machine takes several seconds. */
  timeoutMs?: number;
}

export interface Workbench {
  page: Page;
  context: BrowserContext;
  /** Saves .artifacts/e2e/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Texts of the notification toasts currently shown. */
  notifications(): Promise<string[]>;
  /** Shows the view container whose activity-bar label starts with `title` (a no-op when shown). */
  openViewContainer(title: string): Promise<void>;
  /** Runs a command from the palette by its full label, e.g. "Terrarium: Refresh". */
  runCommand(label: string): Promise<void>;
  /** Labels of the visible rows of the side bar's trees. */
  treeLabels(): Promise<string[]>;
  /**
   * The activation time VS Code measured for the extension displayed as `displayName` (module
   * loading plus activate()), from Developer: Show Running Extensions; throws if it failed.
   */
  activationTimeMs(displayName: string): Promise<number>;
  /** Console messages and page errors seen so far (for failure messages). */
  consoleLines: string[];
  close(): Promise<void>;
}

export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath);
}

/** Opens the workbench of `server` in a fresh Chromium profile and waits until it is ready. */
export async function openWorkbench(server: CodeServer, options: WorkbenchOptions = {}): Promise<Workbench> {
  const timeout = options.timeoutMs ?? 60_000;
  const profile = mkdtempSync(join(tmpdir(), 'terrarium-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1400, height: 900 },
    // Playwright refuses --user-data-dir here; the profile argument above is that.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const page = context.pages()[0] ?? await context.newPage();
    page.setDefaultTimeout(timeout);
    const consoleLines: string[] = [];
    page.on('console', (m) => { consoleLines.push(`[${m.type()}] ${m.text()}`); });
    page.on('pageerror', (e) => { consoleLines.push(`[pageerror] ${e.message}`); });
    if (options.initScript) await page.addInitScript(options.initScript);
    for (const [name, fn] of Object.entries(options.expose ?? {})) await page.exposeFunction(name, fn);
    await page.goto(server.workbenchUrl());
    await page.locator('.monaco-workbench').waitFor();
    await page.locator('.activitybar').waitFor();

    const runCommand = async (label: string) => {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor();
      await input.fill(`>${label}`);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first().waitFor();
      await page.keyboard.press('Enter');
    };

    return {
      page, context, consoleLines, close,
      async screenshot(name) {
        mkdirSync(artifactsDir, { recursive: true });
        const file = join(artifactsDir, `${name}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      async notifications() {
        return page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
      },
      async openViewContainer(title) {
        const label = page.locator(`a.action-label[aria-label^="${title}"]`);
        const item = page.locator('.activitybar li.action-item', { has: label });
        // Clicking the active container would hide the side bar instead.
        if (!/\bchecked\b/.test(await item.getAttribute('class') ?? '')) await item.locator(label).click();
      },
      runCommand,
      async activationTimeMs(displayName) {
        await runCommand('Developer: Show Running Extensions');
        const row = page.locator('.runtime-extensions-editor .monaco-list-row', { has: page.locator('.name', { hasText: displayName }) });
        const time = row.locator('.activation-time');
        // The list is virtual and sorted by time: scroll until the row is rendered.
        const list = page.locator('.runtime-extensions-editor .monaco-list');
        await list.waitFor();
        for (let i = 0; i < 40 && await row.count() === 0; i++) {
          await list.hover();
          await page.mouse.wheel(0, 400);
          await page.waitForTimeout(100);
        }
        await time.waitFor();
        const text = await time.innerText();
        const message = await row.locator('.msg').innerText();
        if (await row.locator('.codicon-error').count() > 0) throw new Error(`${displayName} failed to activate: ${message}`);
        const m = /([\d.]+)\s*ms/.exec(text);
        // 1.139 opens this editor as a modal that blocks the rest of the workbench.
        await page.keyboard.press('Escape');
        if (!m) throw new Error(`${displayName} did not activate: "${text}" in Running Extensions`);
        return Number(m[1]);
      },
      async treeLabels() {
        return page.locator('.sidebar .monaco-list-row[role="treeitem"] .label-name').allInnerTexts();
      },
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Runs `item` from `row`'s context menu, the way a person does, until `done` says it happened.
 * A tree that repaints under the menu (a watch event, a poll) can swallow the click: the menu then
 * stays open with the item highlighted (Enter runs it), or the command runs without its row and asks
 * for one in a quick pick (`pick` chooses there). Only for idempotent items: it may run twice.
 */
export async function runRowMenuItem(page: Page, row: Locator, item: string | RegExp,
  done: () => Promise<boolean>, pick?: { placeholder: string | RegExp; choose: string | RegExp }): Promise<void> {
  const menuItem = page.locator('.monaco-menu .action-label', { hasText: item });
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    await menuItem.click({ timeout: 10_000 }).catch(() => {});
    await page.waitForTimeout(500);
    if (await menuItem.isVisible().catch(() => false)) { await menuItem.hover(); await page.keyboard.press('Enter'); }
    if (pick) {
      const box = page.locator('.quick-input-widget');
      const asks = await box.isVisible().catch(() => false)
        && new RegExp(pick.placeholder).test(await box.locator('input').first().getAttribute('placeholder').catch(() => null) ?? '');
      if (asks) await box.locator('.monaco-list-row', { hasText: pick.choose }).first().click().catch(() => {});
    }
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (await done().catch(() => false)) return;
      await page.waitForTimeout(250);
    }
    if (attempt >= 3) throw new Error(`"${String(item)}" from the row's menu had no effect after ${attempt} tries`);
    await page.keyboard.press('Escape');
  }
}
