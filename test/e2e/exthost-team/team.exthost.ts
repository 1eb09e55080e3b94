/// <reference types="mocha" />
/**
 * Bob's window on a cluster he shares with alice (kube-sim users with their own tokens; the
 * workbench's kubeconfig is bob's; see ../exthost-team.test.ts). alice holds sample-0 and bob
 * sample-1; the controller's per-user Role (made by the test) lets bob exec and port-forward only
 * into sample-1. Run in the real extension host: the tree's rows, matched against package.json's
 * own `when` clauses, and the release command answered like a person would.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { extensionHostParams } from '../exthost/mochaRunner';
import { until } from '../exthost/scriptUi';

const extensionId = 'terrarium-dev.terrarium';
type Exports = import('../../../src/extension/extension').TerrariumExports;
type TreeNode = import('../../../src/extension/tree/treeProvider').TreeNode;

interface Prompt { kind: 'warning' | 'info' | 'error' | 'save' | 'pick'; text: string; items: string[]; detail?: string; modal?: boolean; answer?: string }

/** Answers vscode.window's messages and save dialogs by script (this bundle shares the extension's vscode API). */
function scriptUi(answer: (p: Prompt) => string | undefined) {
  const w = vscode.window as any;
  const saved = { warning: w.showWarningMessage, info: w.showInformationMessage, error: w.showErrorMessage, save: w.showSaveDialog, pick: w.showQuickPick };
  const prompts: Prompt[] = [];
  const message = (kind: Prompt['kind']) => async (text: string, ...rest: any[]) => {
    const options = rest.find((r) => r && typeof r === 'object' && !Array.isArray(r));
    const p: Prompt = { kind, text, items: rest.filter((r) => typeof r === 'string'), detail: options?.detail, modal: options?.modal };
    prompts.push(p);
    const a = answer(p);
    p.answer = a !== undefined && p.items.includes(a) ? a : undefined;
    return p.answer;
  };
  w.showWarningMessage = message('warning');
  w.showInformationMessage = message('info');
  w.showErrorMessage = message('error');
  w.showQuickPick = async (items: any, o?: vscode.QuickPickOptions) => {
    const list: any[] = await items;
    const p: Prompt = { kind: 'pick', text: o?.title ?? '', items: list.map((i) => (typeof i === 'string' ? i : i.label)) };
    prompts.push(p);
    const a = answer(p);
    return list.find((i) => (typeof i === 'string' ? i : i.label) === a);
  };
  w.showSaveDialog = async (o: vscode.SaveDialogOptions) => {
    const p: Prompt = { kind: 'save', text: o?.title ?? '', items: [] };
    prompts.push(p);
    const a = answer(p);
    return a === undefined ? undefined : vscode.Uri.file(a);
  };
  return {
    prompts,
    restore() {
      Object.assign(w, { showWarningMessage: saved.warning, showInformationMessage: saved.info, showErrorMessage: saved.error, showSaveDialog: saved.save, showQuickPick: saved.pick });
    },
  };
}


describe("bob's view of a cluster shared with alice", function () {
  this.timeout(120_000);
  let api: Exports;
  const pkg = JSON.parse(readFileSync(join(extensionHostParams().repoRoot, 'package.json'), 'utf8'));
  /** The tree-item menu commands whose `when` holds for this row, as VS Code evaluates package.json's regexes. */
  const actionsOf = (contextValue: string): string[] => [...new Set((pkg.contributes.menus['view/item/context'] as { command: string; when: string }[])
    .filter((i) => {
      const regexes = [...i.when.matchAll(/viewItem =~ \/(.+?)\/(?=\s|\)|$)/g)].map((m) => new RegExp(m[1]!));
      return i.when.includes('||') ? regexes.some((r) => r.test(contextValue)) : regexes.every((r) => r.test(contextValue));
    }).map((i) => i.command))].sort();

  /** The rows under the current namespace, and under the sample environment, as the Clusters view gets them. */
  const rows = async () => {
    // The very first root rows come from the kubeconfig alone (no current context yet): ask once the session knows it.
    await api.session.state();
    const root = await api.tree.getChildren();
    const cluster = root.find((n) => n.kind === 'cluster' && n.context === api.session.currentContext)!;
    const [ns] = await api.tree.getChildren(cluster);
    const nsRows = await api.tree.getChildren(ns);
    const env = nsRows.find((n) => n.kind === 'environment' && n.environment === 'sample');
    assert.ok(env, `sample under the namespace: ${nsRows.map((n) => n.view.label).join(', ')}`);
    const sandboxes = (await api.tree.getChildren(env)) as Extract<TreeNode, { kind: 'sandbox' }>[];
    return { nsRows, env, sandboxes, item: (n: TreeNode) => api.tree.getTreeItem(n) };
  };

  before(async () => {
    api = await vscode.extensions.getExtension(extensionId)!.activate() as Exports;
    api.session.setVisible(true);
    await until(async () => {
      await api.session.state();
      const ready = (api.session.watch()?.sandboxes() ?? []).filter((x) => x.status.phase === 'Ready').map((x) => x.name);
      return ready.includes('sample-0') && ready.includes('sample-1');
    }, 'sample-0 and sample-1 ready in the tree');
  });

  it("shows bob's sandbox first as \"yours\", alice's as \"claimed by alice\" without connect, terminal or release", async () => {
    const { env, sandboxes, item } = await until(async () => {
      const r = await rows();
      return r.sandboxes[0]?.view.description?.endsWith('yours') ? r : undefined;
    }, 'the tree to know who bob is');
    assert.deepEqual(sandboxes.map((n) => [n.view.label, n.view.description]), [['sample-1', 'ready · yours'], ['sample-0', 'ready · claimed by alice']]);
    assert.match(String(item(env).description), /^2\/2 ready · 2 claimed \(1 yours\) · 0 warm spares$/);
    const [his, alices] = sandboxes.map((n) => item(n));
    const hisActions = actionsOf(String(his!.contextValue));
    for (const c of ['terrarium.connectNewWindow', 'terrarium.connectCurrentWindow', 'terrarium.openTerminal', 'terrarium.releaseSandbox']) {
      assert.ok(hisActions.includes(c), `${c} on his own sandbox: ${hisActions.join(', ')}`);
    }
    const aliceActions = actionsOf(String(alices!.contextValue));
    for (const c of ['terrarium.connectNewWindow', 'terrarium.connectCurrentWindow', 'terrarium.openTerminal', 'terrarium.copySshCommand',
      'terrarium.forwardPort', 'terrarium.newAgentSession', 'terrarium.releaseSandbox', 'terrarium.claimSandbox']) {
      assert.ok(!aliceActions.includes(c), `${c} offered on alice's sandbox: ${aliceActions.join(', ')}`);
    }
    assert.ok(aliceActions.includes('terrarium.showEvents'), 'reading stays possible');
    assert.equal(alices!.collapsibleState, vscode.TreeItemCollapsibleState.None, 'no agent sessions to list in a sandbox bob cannot exec into');
    // From the command palette too: the sandbox pickers of connect and terminal offer only his.
    for (const command of ['terrarium.connectNewWindow', 'terrarium.openTerminal']) {
      const ui = scriptUi(() => undefined);
      try { await vscode.commands.executeCommand(command); } finally { ui.restore(); }
      assert.deepEqual(ui.prompts.find((p) => p.kind === 'pick')?.items, ['sample-1'], `${command}: ${JSON.stringify(ui.prompts)}`);
    }
  });

  it('says claims are advisory when no claim policy is installed', async () => {
    const { nsRows } = await rows();
    const notice = nsRows.find((n) => n.kind === 'message' && /advisory/.test(n.view.label));
    assert.ok(notice, nsRows.map((n) => n.view.label).join(', '));
    assert.equal(api.tree.getTreeItem(notice).command, undefined, 'not clickable');
  });

  it('release offers recycle (default), keep and back up; Escape keeps the claim; keep releases and keeps the workspace', async () => {
    const cluster = await api.session.cluster();
    const pvc = () => cluster.core.readNamespacedPersistentVolumeClaim({ name: 'workspace-sample-1', namespace: api.session.namespace });
    const before = await pvc();
    const { sandboxes } = await rows();
    const node = sandboxes.find((n) => n.sandbox.name === 'sample-1')!;
    const run = async (answer: (p: Prompt) => string | undefined) => {
      const ui = scriptUi(answer);
      try { await vscode.commands.executeCommand('terrarium.releaseSandbox', node); } finally { ui.restore(); }
      assert.deepEqual(ui.prompts.filter((p) => p.kind === 'error').map((p) => p.text), []);
      return ui.prompts;
    };
    const escaped = await run(() => undefined);
    const dialog = escaped.find((p) => p.kind === 'warning')!;
    assert.equal(dialog.text, 'Release sample-1?');
    assert.equal(dialog.modal, true);
    assert.deepEqual(dialog.items, ['Release and recycle (new empty workspace)', 'Release, keep workspace (--keep)', 'Back up, then recycle…']);
    assert.match(dialog.detail ?? '', /every file in it is gone.*new, empty workspace/s);
    assert.equal((await pvc()).metadata?.annotations?.['terrarium.dev/claimed-by'], 'bob', 'Escape releases nothing');

    const kept = await run((p) => (p.kind === 'warning' ? 'Release, keep workspace (--keep)' : undefined));
    assert.ok(kept.some((p) => p.kind === 'info' && /Released sample-1; its workspace is kept/.test(p.text)), JSON.stringify(kept));
    const after = await pvc();
    assert.equal(after.metadata?.annotations?.['terrarium.dev/claimed-by'], undefined, 'the claim is gone');
    assert.equal(after.metadata?.uid, before.metadata?.uid, 'the same workspace');
    // Now free: bob may claim it, and no longer reach it.
    const row = await until(async () => (await rows()).sandboxes.find((n) => n.sandbox.name === 'sample-1' && n.view.description === 'ready · free'), 'sample-1 free in the tree');
    assert.ok(actionsOf(row.view.contextValue).includes('terrarium.claimSandbox'));
  });

  it('release by default recycles: the next holder gets a new workspace', async () => {
    const cluster = await api.session.cluster();
    const pvc = () => cluster.core.readNamespacedPersistentVolumeClaim({ name: 'workspace-sample-1', namespace: api.session.namespace });
    const free = (await rows()).sandboxes.find((n) => n.sandbox.name === 'sample-1')!;
    const claimed = scriptUi(() => undefined);
    try { await vscode.commands.executeCommand('terrarium.claimSandbox', free); } finally { claimed.restore(); }
    assert.ok(claimed.prompts.some((p) => p.kind === 'info' && p.text === 'sample-1 is yours.'), JSON.stringify(claimed.prompts));
    const before = await pvc();
    assert.equal(before.metadata?.annotations?.['terrarium.dev/claimed-by'], 'bob');
    const mine = await until(async () => (await rows()).sandboxes.find((n) => n.sandbox.name === 'sample-1' && n.view.description === 'ready · yours'), 'sample-1 yours');
    const ui = scriptUi((p) => (p.kind === 'warning' ? 'Release and recycle (new empty workspace)' : undefined));
    try { await vscode.commands.executeCommand('terrarium.releaseSandbox', mine); } finally { ui.restore(); }
    assert.deepEqual(ui.prompts.filter((p) => p.kind === 'error').map((p) => p.text), []);
    await until(async () => {
      const now = await pvc().catch(() => undefined);
      return !!now && now.metadata?.uid !== before.metadata?.uid && !now.metadata?.annotations?.['terrarium.dev/claimed-by'];
    }, 'a new, unclaimed workspace-sample-1');
  });
});
