/// <reference types="mocha" />
/**
 * "Terrarium: Run Doctor" and "Terrarium: Install Platform…" in the real extension host against
 * kube-sim (admin kubeconfig): the report opens as a read-only Markdown document, its summary offers
 * the fixes' buttons, and Install Platform asks its questions, lists every object in its modal
 * confirmation and applies them (checked over the Kubernetes API).
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { run } from '../exthost/scriptUi';

const extensionId = 'terrarium-dev.terrarium';
type Exports = import('../../../src/extension/extension').TerrariumExports;



describe('Run Doctor and Install Platform', function () {
  this.timeout(120_000);
  let api: Exports;
  before(async () => {
    api = await vscode.extensions.getExtension(extensionId)!.activate() as Exports;
  });

  it('Run Doctor opens a read-only report and offers Install Platform… before the platform is installed', async () => {
    const prompts = await run('terrarium.runDoctor', []);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'terrarium-doctor');
    assert.ok(doc, 'the report is open');
    assert.equal(doc.languageId, 'markdown');
    const text = doc.getText();
    assert.match(text, /^# Terrarium Doctor/);
    assert.match(text, /## Platform/);
    assert.match(text, /Default StorageClass standard/);
    assert.match(text, /## This machine/);
    const summary = prompts.find((p) => /^Terrarium Doctor:/.test(p.text));
    assert.ok(summary, JSON.stringify(prompts));
    assert.ok(summary.items.includes('Install Platform…'), `buttons: ${summary.items.join(', ')}`);
    // A content-provider document: there is no file behind it, so the report cannot be saved over.
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'x')).then(() => undefined, () => undefined);
    const saved = await doc.save().then((ok) => ok, () => false);
    assert.equal(saved, false, 'the report cannot be saved');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('Install Platform… asks, lists every object before applying, and installs', async () => {
    const prompts = await run('terrarium.installPlatform', [
      [/\(1\/5\)/, 'platform-e2e'], [/\(2\/5\)/, ''], [/\(3\/5\)/, ''], [/\(4\/5\)/, 'Without Vault'], [/\(5\/5\)/, 'Apply'],
      [/^Install the Terrarium platform in namespace "platform-e2e"/, 'Install'], [/platform installed/, ''],
    ]);
    const confirm = prompts.find((p) => p.kind === 'warning');
    assert.ok(confirm, JSON.stringify(prompts));
    const cluster = (await api.session.cluster()).withNamespace('platform-e2e');
    const cm = await cluster.core.readNamespacedConfigMap({ name: 'terrarium-platform', namespace: 'platform-e2e' });
    assert.equal(cm.data?.usersGroup, 'terrarium-users');
    const result = vscode.workspace.textDocuments.find((d) => /^# Installed the Terrarium platform/.test(d.getText()));
    assert.ok(result, 'the result is shown');
    assert.match(result.getText(), /applied ValidatingAdmissionPolicy\/terrarium-claims/);
  });
});
