import * as vscode from 'vscode';
import type { Services } from '../services';
import { COMMANDS } from '../commandIds';
import type { TreeNode } from '../tree/treeProvider';
import type { Sandbox } from '../../core/devenv';

/**
 * Commands run from a tree row get the row; from the palette they get nothing and ask. These
 * pickers turn either into a name, so every command works from both places.
 */
export async function pickEnvironment(s: Services, node?: TreeNode): Promise<string | undefined> {
  if (node && 'environment' in node && node.environment) return node.environment;
  await s.session.cluster();
  const envs = s.session.watch()?.environments() ?? [];
  if (!envs.length) {
    void vscode.window.showInformationMessage('There are no environments in this namespace yet.', 'Create Environment')
      .then((a) => a && vscode.commands.executeCommand(COMMANDS.createEnvironment));
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(envs.map((e) => ({ label: e.name, description: `${e.ready}/${e.desired} ready`, detail: e.image })),
    { title: 'Choose an environment', ignoreFocusOut: true });
  return pick?.label;
}

/**
 * For actions over exec or port-forward (connect, terminals, sessions, forwards): Ready sandboxes the
 * person may reach (the rules review; the controller grants only the holder), so the palette offers
 * what the tree offers.
 */
export async function reachableFilter(s: Services): Promise<(ready: boolean, sandbox: Sandbox) => boolean> {
  const p = await s.tree.team.permissions().catch(() => undefined);
  return (ready, x) => ready && (!p || p.reach === 'all' || p.reach.includes(x.name));
}

export async function pickSandbox(s: Services, node?: TreeNode, filter: (ready: boolean, sandbox: Sandbox) => boolean = () => true): Promise<string | undefined> {
  if (node?.kind === 'sandbox') return node.sandbox.name;
  if (node?.kind === 'session') return node.sandbox;
  await s.session.cluster();
  const all = s.session.watch()?.sandboxes() ?? [];
  const items = all.filter((x) => filter(x.status.phase === 'Ready', x)).map((x) => ({
    label: x.name,
    description: [x.status.phase, x.claimedBy ? `claimed by ${x.claimedBy}` : 'free'].join(' · '),
  }));
  if (!items.length) {
    void vscode.window.showInformationMessage('There is no sandbox to choose from. Create or start an environment first.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: 'Choose a sandbox', ignoreFocusOut: true }))?.label;
}

export async function pickSession(s: Services, node?: TreeNode, exitedOnly = false): Promise<{ sandbox: string; session: string } | undefined> {
  if (node?.kind === 'session') return { sandbox: node.sandbox, session: node.session.name };
  const sandbox = await pickSandbox(s, node, await reachableFilter(s));
  if (!sandbox) return undefined;
  const all = await s.session.tmux(sandbox).list();
  const sessions = exitedOnly ? all.filter((x) => x.state === 'exited') : all;
  if (exitedOnly && all.length && !sessions.length) {
    void vscode.window.showInformationMessage(`No agent session in ${sandbox} has exited: there is nothing to restart.`);
    return undefined;
  }
  if (!sessions.length) {
    void vscode.window.showInformationMessage(`There are no agent sessions in ${sandbox}.`, 'New Agent Session')
      .then((a) => a && vscode.commands.executeCommand(COMMANDS.newAgentSession));
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(sessions.map((x) => ({ label: x.name, description: `${x.attached} attached · ${x.command ?? ''}` })),
    { title: `Agent sessions in ${sandbox}` });
  return pick && { sandbox, session: pick.label };
}
