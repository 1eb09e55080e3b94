import * as vscode from 'vscode';
import { loadCore } from '../core';
import { COMMANDS } from '../commandIds';
import type { Services } from '../services';
import type { TreeNode } from '../tree/treeProvider';
import { guarded } from '../ui';
import { openTmuxTerminal } from '../terminal/tmuxTerminal';
import { SANDBOX_CONTAINER } from '../clusterSession';
import { pickSandbox, pickSession, reachableFilter } from './pickers';

/** tmux agent sessions: terminals that survive disconnects, and agents started in the background. */
export function registerSessionCommands(s: Services): vscode.Disposable[] {
  const { log } = s;
  const output = new Map<string, vscode.Uri>();

  const openTerminal = async (sandbox: string, session: string) => {
    const cluster = await s.session.cluster();
    const { execTtyConnector } = loadCore().execTty;
    // The core records the attach (and tmux new/send/capture/kill) itself.
    openTmuxTerminal(execTtyConnector(cluster, sandbox, SANDBOX_CONTAINER), sandbox, session);
    s.tree.refresh(true);
  };

  return [
    vscode.commands.registerCommand(COMMANDS.openTerminal, (node?: TreeNode) => guarded(log, 'Open tmux terminal', async () => {
      if (node?.kind === 'session') return openTerminal(node.sandbox, node.session.name);
      const sandbox = await pickSandbox(s, node, await reachableFilter(s));
      if (sandbox) await openTerminal(sandbox, s.settings().defaultTmuxSession);
    })),

    vscode.commands.registerCommand(COMMANDS.newAgentSession, (node?: TreeNode) => guarded(log, 'New agent session', async () => {
      const sandbox = await pickSandbox(s, node, await reachableFilter(s));
      if (!sandbox) return;
      const { validateSessionName } = loadCore().tmux;
      const name = await vscode.window.showInputBox({
        title: `New agent session in ${sandbox}`, prompt: 'Session name', value: 'agent', ignoreFocusOut: true,
        validateInput: (v) => { try { validateSessionName(v); return undefined; } catch (e: any) { return e.text ?? e.message; } },
      });
      if (!name) return;
      const command = await vscode.window.showInputBox({
        title: `Command for ${name}`, prompt: 'Runs in the session and keeps running when VS Code disconnects (empty: a shell)',
        placeHolder: 'e.g. claude, aider, npm run dev', ignoreFocusOut: true,
      });
      if (command === undefined) return;
      const argv = command.trim() ? ['sh', '-lc', command.trim()] : undefined;
      await s.session.tmux(sandbox).create(name, { command: argv, cwd: '/workspace' });
      s.tree.refresh(true);
      const open = await vscode.window.showInformationMessage(`Agent session ${name} is running in ${sandbox}.`, 'Open Terminal', 'Show Output');
      if (open === 'Open Terminal') await openTerminal(sandbox, name);
      if (open === 'Show Output') await vscode.commands.executeCommand(COMMANDS.showSessionOutput, { kind: 'session', sandbox, session: { name } });
    })),

    vscode.commands.registerCommand(COMMANDS.sendToSession, (node?: TreeNode) => guarded(log, 'Send text to agent session', async () => {
      const target = await pickSession(s, node);
      if (!target) return;
      const text = await vscode.window.showInputBox({ title: `Send to ${target.session} in ${target.sandbox}`, prompt: 'Typed into the session, followed by Enter', ignoreFocusOut: true });
      if (text === undefined) return;
      await s.session.tmux(target.sandbox).send(target.session, text, true);
    })),

    vscode.commands.registerCommand(COMMANDS.showSessionOutput, (node?: TreeNode) => guarded(log, 'Show agent session output', async () => {
      const target = await pickSession(s, node);
      if (!target) return;
      const text = await s.session.tmux(target.sandbox).capture(target.session, 2000);
      const key = `${target.sandbox}/${target.session}`;
      const doc = await vscode.workspace.openTextDocument({ content: text, language: 'log' });
      output.set(key, doc.uri);
      await vscode.window.showTextDocument(doc, { preview: true });
    })),

    vscode.commands.registerCommand(COMMANDS.killSession, (node?: TreeNode) => guarded(log, 'Kill agent session', async () => {
      const target = await pickSession(s, node);
      if (!target) return;
      const ok = await vscode.window.showWarningMessage(`Kill agent session ${target.session} in ${target.sandbox}?`,
        { modal: true, detail: 'Whatever runs in it stops. Files in the workspace stay.' }, 'Kill Session');
      if (ok !== 'Kill Session') return;
      await s.session.tmux(target.sandbox).kill(target.session);
      s.tree.refresh(true);
    })),
  ];
}
