/// <reference types="mocha" />
/**
 * Runs in code-server's extension host (see ../extensionHostTests.ts), with the repository loaded
 * as the extension under development and the kubeconfig of the harness's cluster in settings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { extensionHostParams } from './mochaRunner';

const extensionId = 'terrarium-dev.terrarium';

describe('Terrarium in the real extension host', () => {
  it('activates without throwing', async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension, `${extensionId} is loaded`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers every command package.json declares, and declares every command it registers', async () => {
    await vscode.extensions.getExtension(extensionId)!.activate();
    const manifest = JSON.parse(readFileSync(join(extensionHostParams().repoRoot, 'package.json'), 'utf8'));
    const declared = new Set<string>((manifest.contributes?.commands ?? []).map((c: { command: string }) => c.command));
    // The workbench itself registers <viewId>.focus, .open, ... for every contributed view.
    const viewIds: string[] = Object.values(manifest.contributes?.views ?? {}).flat().map((v: any) => v.id);
    const generated = (c: string) => viewIds.some((id) => c.startsWith(`${id}.`));
    const registered = new Set((await vscode.commands.getCommands(true)).filter((c) => c.startsWith('terrarium.') && !generated(c)));
    assert.deepEqual([...declared].filter((c) => !registered.has(c)).sort(), [], 'declared but not registered');
    assert.deepEqual([...registered].filter((c) => !declared.has(c)).sort(), [], 'registered but not declared');
  });

  it('the tree provider shows the sample environment and its sandboxes from the watch cache', async function () {
    this.timeout(60_000);
    const api = await vscode.extensions.getExtension(extensionId)!.activate() as import('../../../src/extension/extension').TerrariumExports;
    api.session.setVisible(true);
    const labels = async (): Promise<string[]> => {
      const out: string[] = [];
      const walk = async (node?: any, depth = 0): Promise<void> => {
        for (const child of await api.tree.getChildren(node)) {
          out.push(`${'  '.repeat(depth)}${child.view.label}${child.view.description ? ` (${child.view.description})` : ''}`);
          if (child.kind !== 'sandbox' && child.kind !== 'message') await walk(child, depth + 1);
        }
      };
      await walk();
      return out;
    };
    let seen: string[] = [];
    for (let i = 0; i < 100 && !seen.some((l) => /sample-1 \(ready/.test(l)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      seen = await labels();
    }
    assert.ok(seen.some((l) => /^ {4}sample \(2\/2 ready/.test(l)), seen.join('\n'));
    assert.ok(seen.some((l) => /^ {6}sample-0 \(ready · free\)/.test(l)), seen.join('\n'));
    assert.equal((await api.session.state()).kind, 'ready');
  });

  it('Open Secrets & Scaling on a tree row opens one panel per environment, fed by the controller', async function () {
    this.timeout(90_000);
    const api = await vscode.extensions.getExtension(extensionId)!.activate() as import('../../../src/extension/extension').TerrariumExports;
    const node = { kind: 'environment', environment: 'sample' };
    await vscode.commands.executeCommand('terrarium.openSecretsPanel', node);
    await vscode.commands.executeCommand('terrarium.openSecretsPanel', node); // the same panel again, not a second one
    const controller = api.panels.controller('sample');
    assert.ok(controller, 'a panel for sample is open');
    for (let i = 0; i < 300 && !controller.state?.secrets.length; i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal(controller.state?.vso, 'installed', `panel state: ${JSON.stringify(controller.state)?.slice(0, 500)}`);
    assert.ok(controller.state?.secrets.some((x) => x.name === 'app-config' && x.state === 'synced'), JSON.stringify(controller.state?.secrets.map((x) => [x.name, x.state])));
    // The tab model reaches the extension host after the panel opens: wait for it (bounded).
    const panelTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label === 'Secrets & Scaling: sample');
    for (let i = 0; i < 150 && panelTabs().length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    const tabs = panelTabs();
    assert.equal(tabs.length, 1, `tabs: ${vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label).join(', ')}`);
    await vscode.window.tabGroups.close(tabs);
  });

  it('reads the kubeconfig the harness configured', () => {
    assert.equal(vscode.workspace.getConfiguration('terrarium').get('kubeconfig'), extensionHostParams().kubeconfig);
  });
});
