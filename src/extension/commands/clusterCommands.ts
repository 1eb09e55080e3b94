import * as vscode from 'vscode';
import { loadCore } from '../core';
import { COMMANDS } from '../commandIds';
import type { Services } from '../services';
import type { TreeNode } from '../tree/treeProvider';
import { guarded, withProgress } from '../ui';
import { pickEnvironment, pickSandbox } from './pickers';

export function registerClusterCommands(s: Services): vscode.Disposable[] {
  const { log } = s;
  const showText = async (content: string) => {
    const doc = await vscode.workspace.openTextDocument({ content, language: 'log' });
    await vscode.window.showTextDocument(doc, { preview: true });
  };

  return [
    vscode.commands.registerCommand(COMMANDS.refresh, () => {
      s.session.reset();
      s.tree.refresh(true);
    }),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => log.show()),

    vscode.commands.registerCommand(COMMANDS.switchContext, () => guarded(log, 'Switch context', async () => {
      const { contexts, current } = await s.session.contexts();
      const pick = await vscode.window.showQuickPick(contexts.map((c) => ({
        label: c.name, description: c.name === current ? 'current' : undefined, detail: [c.server, c.namespace && `namespace ${c.namespace}`].filter(Boolean).join(' · '),
      })), { title: 'Switch cluster context', placeHolder: 'Terrarium uses this context; your kubeconfig is not changed' });
      if (!pick) return;
      await s.session.switchContext(pick.label);
      s.tree.refresh(true);
    })),

    vscode.commands.registerCommand(COMMANDS.switchNamespace, () => guarded(log, 'Switch namespace', async () => {
      const { validateName } = loadCore().devenv;
      const ns = await vscode.window.showInputBox({
        title: 'Switch namespace', prompt: 'The namespace Terrarium manages environments in', value: s.session.namespace, ignoreFocusOut: true,
        validateInput: (v) => { try { validateName(v.trim(), 'namespace'); return undefined; } catch (e: any) { return e.text ?? e.message; } },
      });
      if (!ns) return;
      await s.session.switchNamespace(ns.trim());
      s.tree.refresh(true);
    })),

    vscode.commands.registerCommand(COMMANDS.restartSandbox, (node?: TreeNode) => guarded(log, 'Restart sandbox', async () => {
      const sandbox = await pickSandbox(s, node);
      if (!sandbox) return;
      const ok = await vscode.window.showWarningMessage(`Restart ${sandbox}?`, { modal: true,
        detail: 'The pod is recreated; its workspace is kept. tmux sessions and running processes in it end.' }, 'Restart');
      if (ok !== 'Restart') return;
      const { restartSandbox } = loadCore().devenv;
      const cluster = await s.session.cluster();
      await withProgress(`Restarting ${sandbox}`, () => restartSandbox(cluster, sandbox));
    })),

    vscode.commands.registerCommand(COMMANDS.showLogs, (node?: TreeNode) => guarded(log, 'Show sandbox logs', async () => {
      const sandbox = await pickSandbox(s, node);
      if (!sandbox) return;
      const cluster = await s.session.cluster();
      const text = await loadCore().devenv.readSandboxLog(cluster, sandbox);
      await showText(text || `(${sandbox} has written no logs yet)`);
    })),

    vscode.commands.registerCommand(COMMANDS.showEvents, (node?: TreeNode) => guarded(log, 'Show events', async () => {
      const target = node?.kind === 'sandbox' ? node.sandbox.name : await pickEnvironment(s, node);
      if (!target) return;
      const cluster = await s.session.cluster();
      const related = await loadCore().devenv.listEventsAbout(cluster, target);
      const lines = related.map((e) => [String(e.lastTimestamp ?? e.eventTime ?? ''), e.type, e.reason,
        `${e.involvedObject.kind}/${e.involvedObject.name}`, e.message].join('  '));
      await showText(lines.length ? lines.join('\n') : `No recent events for ${target}. (Kubernetes keeps events for about an hour.)`);
    })),

    vscode.commands.registerCommand(COMMANDS.openSecretsPanel, (node?: TreeNode) => guarded(log, 'Open Secrets & Scaling', async () => {
      const env = await pickEnvironment(s, node);
      if (!env) return;
      await s.panels.open(env);
    })),
  ];
}
