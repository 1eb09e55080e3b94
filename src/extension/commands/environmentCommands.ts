import * as vscode from 'vscode';
import { COMMANDS } from '../commandIds';
import { loadCore } from '../core';
import type { Services } from '../services';
import type { TreeNode } from '../tree/treeProvider';
import { guarded, withProgress } from '../ui';
import { parseRequestLimit } from '../settings';
import { confirmEgress, egressLine } from '../egressPrompt';
import { pickEnvironment } from './pickers';
import { scaleDownDialog } from './scaleDownDialog';

/** Validation messages for input boxes: the core's TerrariumError text, or undefined when fine. */
function validationMessage(fn: () => void): string | undefined {
  try { fn(); return undefined; } catch (e) { return e instanceof Error ? (e as any).text ?? e.message : String(e); }
}

export function registerEnvironmentCommands(s: Services): vscode.Disposable[] {
  const { log } = s;
  // Audit records come from the core operations themselves (see core/audit): none here.
  const devenv = () => loadCore().devenv;

  return [
    vscode.commands.registerCommand(COMMANDS.createEnvironment, () => guarded(log, 'Create environment', async () => {
      const d = devenv();
      const cfg = s.settings();
      // A bad allow-list entry is a settings problem: say so before asking anything.
      for (const entry of cfg.egressAllowList) d.validateCidr(entry);
      const name = await vscode.window.showInputBox({
        title: 'Create environment (1/4): name', prompt: 'Lowercase letters, digits and "-"; sandboxes are named <name>-0, <name>-1, …',
        placeHolder: 'team-dev', ignoreFocusOut: true, validateInput: (v) => validationMessage(() => d.validateName(v.trim(), 'environment name')),
      });
      if (!name) return;
      const replicasText = await vscode.window.showInputBox({
        title: 'Create environment (2/4): sandboxes', prompt: `How many sandboxes (0-${cfg.maxReplicas})`, value: '1', ignoreFocusOut: true,
        validateInput: (v) => validationMessage(() => d.validateReplicas(Number(v), cfg.maxReplicas)),
      });
      if (replicasText === undefined) return;
      const image = await vscode.window.showInputBox({
        title: 'Create environment (3/4): image', prompt: 'Container image with sshd and tmux (see manifests/image)', value: cfg.image, ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'An image is required.'),
      });
      if (!image) return;
      const rl = (r: { request?: string; limit?: string }) => [r.request, r.limit].filter(Boolean).join('/');
      const resources = await vscode.window.showInputBox({
        title: 'Create environment (4/4): resources per sandbox',
        prompt: `CPU and memory as request/limit, e.g. "500m/2 1Gi/4Gi". ${egressLine(cfg.egressAllowList)}`,
        value: `${rl(cfg.cpu)} ${rl(cfg.memory)}`.trim(), ignoreFocusOut: true,
        validateInput: (v) => (v.trim().split(/\s+/).length === 2 ? undefined : 'Two values: CPU then memory, e.g. "500m/2 1Gi/4Gi".'),
      });
      if (resources === undefined) return;
      const [cpuText, memoryText] = resources.trim().split(/\s+/);
      const spec = {
        name: name.trim(), replicas: Number(replicasText), image: image.trim(), cpu: parseRequestLimit(cpuText), memory: parseRequestLimit(memoryText),
        storage: cfg.storage, egressAllow: cfg.egressAllowList,
      };
      const openSettings = () => vscode.commands.executeCommand('workbench.action.openSettings', 'terrarium.egressAllowList');
      if (!await confirmEgress(spec.name, d.egressAllowWarnings(spec.egressAllow), vscode.window, openSettings)) return;
      const cluster = await s.session.cluster();
      await withProgress(`Creating environment ${spec.name}`, (signal) => d.createEnvironment(cluster, spec, { signal, maxReplicas: cfg.maxReplicas }));
      s.tree.refresh();
      void vscode.window.showInformationMessage(`Environment ${spec.name} created with ${spec.replicas} sandbox(es).`);
    })),

    vscode.commands.registerCommand(COMMANDS.scaleEnvironment, (node?: TreeNode) => guarded(log, 'Scale environment', async () => {
      const d = devenv();
      const name = await pickEnvironment(s, node);
      if (!name) return;
      const cluster = await s.session.cluster();
      const max = s.settings().maxReplicas;
      const env = s.session.watch()?.environments().find((e) => e.name === name);
      const text = await vscode.window.showInputBox({
        title: `Scale ${name}`, prompt: `Number of sandboxes (0-${max}). Scaling down keeps the workspaces.`,
        value: String(env?.desired ?? 1), ignoreFocusOut: true,
        validateInput: (v) => validationMessage(() => d.validateReplicas(Number(v), max)),
      });
      if (text === undefined) return;
      const to = Number(text);
      if (env && to < env.desired) {
        const sandboxes = s.session.watch()?.sandboxes(name) ?? [];
        const d = scaleDownDialog(name, env.desired, to, sandboxes, (await s.tree.team.identity())?.username);
        const ok = await vscode.window.showWarningMessage(d.message, { modal: true, detail: d.detail }, d.action);
        if (ok !== d.action) return;
      }
      await withProgress(`Scaling ${name} to ${to}`, () => d.scaleEnvironment(cluster, name, to, { maxReplicas: max }));
      s.tree.refresh();
    })),

    vscode.commands.registerCommand(COMMANDS.stopEnvironment, (node?: TreeNode) => guarded(log, 'Stop environment', async () => {
      const d = devenv();
      const name = await pickEnvironment(s, node);
      if (!name) return;
      const ok = await vscode.window.showWarningMessage(`Stop ${name}?`, { modal: true,
        detail: 'All its sandboxes stop (scaled to 0). Workspaces are kept; Start brings the same number back.' }, 'Stop');
      if (ok !== 'Stop') return;
      const cluster = await s.session.cluster();
      await withProgress(`Stopping ${name}`, () => d.stopEnvironment(cluster, name));
      s.tree.refresh();
    })),

    vscode.commands.registerCommand(COMMANDS.startEnvironment, (node?: TreeNode) => guarded(log, 'Start environment', async () => {
      const d = devenv();
      const name = await pickEnvironment(s, node);
      if (!name) return;
      const cluster = await s.session.cluster();
      await withProgress(`Starting ${name}`, () => d.startEnvironment(cluster, name));
      s.tree.refresh();
    })),

    vscode.commands.registerCommand(COMMANDS.deleteEnvironment, (node?: TreeNode) => guarded(log, 'Delete environment', async () => {
      const d = devenv();
      const name = await pickEnvironment(s, node);
      if (!name) return;
      const keep = 'Delete, Keep Workspaces';
      const wipe = 'Delete Including Workspaces…';
      const choice = await vscode.window.showWarningMessage(`Delete environment ${name}?`, { modal: true,
        detail: 'Its sandboxes, service, network policy and host key are removed. Workspaces (PersistentVolumeClaims) are kept unless you choose to delete them too.' },
      keep, wipe);
      if (!choice) return;
      let deleteWorkspaces = false;
      if (choice === wipe) {
        const typed = await vscode.window.showInputBox({
          title: `Delete ${name} and ALL its workspaces`, prompt: `This deletes every file in every workspace of ${name}. Type the environment name to confirm.`,
          ignoreFocusOut: true, validateInput: (v) => (v === name ? undefined : `Type "${name}" to confirm.`),
        });
        if (typed !== name) return;
        deleteWorkspaces = true;
      }
      const cluster = await s.session.cluster();
      const result = await withProgress(`Deleting ${name}`, () => d.deleteEnvironment(cluster, name, { deleteWorkspaces }));
      s.tree.refresh();
      void vscode.window.showInformationMessage(deleteWorkspaces
        ? `Deleted ${name} and ${result.deletedWorkspaces.length} workspace(s).`
        : `Deleted ${name}. Kept ${result.keptWorkspaces.length} workspace(s): creating ${name} again reattaches them.`);
    })),
  ];
}
