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

  it('reads the kubeconfig the harness configured', () => {
    assert.equal(vscode.workspace.getConfiguration('terrarium').get('kubeconfig'), extensionHostParams().kubeconfig);
  });
});
