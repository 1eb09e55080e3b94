import * as vscode from 'vscode';
import { loadCore } from '../core';
import { TerrariumError } from '../../core/kube/errors';
import { COMMANDS } from '../commandIds';
import type { Services } from '../services';
import type { TreeNode } from '../tree/treeProvider';
import { guarded, withProgress } from '../ui';
import { pickEnvironment, pickSandbox, reachableFilter } from './pickers';
import { proxyLauncher } from '../proxyLauncher';
import { defaultBackupName, releaseDialog, releaseModeOf } from './releaseChoice';
import { homedir } from 'node:os';
import { join } from 'node:path';

const REMOTE_SSH = 'ms-vscode-remote.remote-ssh';

/**
 * The claim user: the API server's name for the person (SelfSubjectReview). Passing it (rather than
 * nothing) names yourself, which the claims module never impersonates.
 */
async function myName(s: Services): Promise<string> {
  const id = await s.tree.team.identity();
  if (!id) throw new TerrariumError('Unreachable', 'Could not ask the API server who you are.', 'Check the connection to the cluster (Terrarium: Show Log), then try again.');
  return id.username;
}

/** Claim, release, connect (Remote-SSH over the Kubernetes API), copy the ssh command, forward a port. */
export function registerSandboxCommands(s: Services): vscode.Disposable[] {
  const { log } = s;

  const prepare = async (sandbox: string, signal?: AbortSignal) => {
    const { prepareConnection } = loadCore().connect;
    const cluster = await s.session.cluster();
    const cfg = s.settings();
    const prepared = await prepareConnection(cluster, sandbox, {
      user: await myName(s),
      stateDir: s.context.globalStorageUri.fsPath,
      sshConfigFile: cfg.sshConfigFile,
      proxy: proxyLauncher(s.context.extensionPath, undefined, undefined, undefined, { controlMaster: cfg.sshControlMaster }),
      signal,
    });
    if (prepared.fallbackReason) log.warn(prepared.fallbackReason);
    return prepared;
  };

  const connect = (newWindow: boolean) => (node?: TreeNode) => guarded(log, 'Connect', async () => {
    const sandbox = await pickSandbox(s, node, await reachableFilter(s));
    if (!sandbox) return;
    const prepared = await withProgress(`Connecting to ${sandbox}`, (signal, report) => {
      report('claiming the sandbox, installing your key, writing the ssh config');
      return prepare(sandbox, signal);
    });
    if (!vscode.extensions.getExtension(REMOTE_SSH)) {
      const cmd = prepared.sshCommand.join(' ');
      const pick = await vscode.window.showWarningMessage(
        `${sandbox} is ready, but the Remote - SSH extension is not installed, so VS Code cannot open it as a remote window.`,
        { detail: `Install Remote - SSH, or connect from a terminal with:\n${cmd}` }, 'Install Remote - SSH', 'Copy SSH Command');
      if (pick === 'Install Remote - SSH') await vscode.commands.executeCommand('workbench.extensions.installExtension', REMOTE_SSH);
      if (pick === 'Copy SSH Command') await vscode.env.clipboard.writeText(cmd);
      return;
    }
    if (!prepared.includeInstalled) {
      void vscode.window.showWarningMessage(prepared.fallbackReason ?? 'Your ssh config could not be updated.',
        { detail: `Set "remote.SSH.configFile" to ${prepared.configFile} so Remote - SSH finds the Terrarium hosts.` });
    }
    const uri = vscode.Uri.from({ scheme: 'vscode-remote', authority: `ssh-remote+${prepared.alias}`, path: '/workspace' });
    log.info(`opening ${uri.toString()}`);
    await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: newWindow });
  });

  return [
    vscode.commands.registerCommand(COMMANDS.connectNewWindow, connect(true)),
    vscode.commands.registerCommand(COMMANDS.connectCurrentWindow, connect(false)),

    vscode.commands.registerCommand(COMMANDS.copySshCommand, (node?: TreeNode) => guarded(log, 'Copy SSH command', async () => {
      const sandbox = await pickSandbox(s, node, await reachableFilter(s));
      if (!sandbox) return;
      const prepared = await withProgress(`Preparing SSH to ${sandbox}`, (signal) => prepare(sandbox, signal));
      const cmd = prepared.sshCommand.join(' ');
      await vscode.env.clipboard.writeText(cmd);
      void vscode.window.showInformationMessage(`Copied: ${cmd}`);
    })),

    vscode.commands.registerCommand(COMMANDS.claimSandbox, (node?: TreeNode) => guarded(log, 'Claim sandbox', async () => {
      const { claimSandbox } = loadCore().claims;
      const cluster = await s.session.cluster();
      const env = node && 'environment' in node ? node.environment : undefined;
      const sandbox = node?.kind === 'sandbox' ? node.sandbox.name : undefined;
      const environment = env ?? (await pickEnvironment(s));
      if (!environment) return;
      const { ensureUserKey } = loadCore().keys;
      const key = await ensureUserKey(s.context.globalStorageUri.fsPath);
      const user = await myName(s);
      const result = await withProgress('Claiming a sandbox', (signal) => claimSandbox(cluster, {
        environment, sandbox, user, publicKey: key.publicKey, scaleUp: true,
        maxReplicas: s.settings().maxReplicas, signal,
      }));
      s.tree.refresh();
      void vscode.window.showInformationMessage(`${result.sandbox} is yours.`, 'Connect').then((a) => a && vscode.commands.executeCommand(COMMANDS.connectNewWindow));
    })),

    vscode.commands.registerCommand(COMMANDS.releaseSandbox, (node?: TreeNode) => guarded(log, 'Release sandbox', async () => {
      const sandbox = await pickSandbox(s, node);
      if (!sandbox) return;
      const me = await myName(s);
      const holder = node?.kind === 'sandbox' ? node.sandbox.claimedBy : s.session.watch()?.sandboxes().find((x) => x.name === sandbox)?.claimedBy;
      const dialog = releaseDialog(sandbox, me, holder);
      const mode = releaseModeOf(await vscode.window.showWarningMessage(dialog.message, { modal: true, detail: dialog.detail }, ...dialog.choices));
      if (!mode) return;
      let backupFile: string | undefined;
      if (mode === 'backup') {
        const uri = await vscode.window.showSaveDialog({
          title: `Back up the workspace of ${sandbox}, then recycle it`, saveLabel: 'Back Up and Recycle',
          defaultUri: vscode.Uri.file(join(homedir(), defaultBackupName(sandbox, new Date()))), filters: { 'Workspace backup': ['tar.gz', 'tgz'] },
        });
        if (!uri) return;
        backupFile = uri.fsPath;
      }
      const { releaseSandbox } = loadCore().claims;
      const cluster = await s.session.cluster();
      const released = await withProgress(`Releasing ${sandbox}`, (signal, report) => {
        if (backupFile) report('backing up the workspace, then recycling');
        return releaseSandbox(cluster, sandbox, {
          user: me, force: holder !== undefined && holder !== me, keep: mode === 'keep', backupFile, signal,
        });
      });
      if (released.backup) log.info(`backed up ${sandbox} to ${released.backup.file} (${released.backup.bytes} bytes, sha256 ${released.backup.sha256})`);
      if (released.keyWarning) log.warn(released.keyWarning);
      s.tree.team.invalidate();
      s.tree.refresh();
      void vscode.window.showInformationMessage(mode === 'keep'
        ? `Released ${sandbox}; its workspace is kept.`
        : `Released ${sandbox}; it is being recycled with a new, empty workspace.${backupFile ? ` Backup: ${backupFile}` : ''}`);
    })),

    vscode.commands.registerCommand(COMMANDS.forwardPort, (node?: TreeNode) => guarded(log, 'Forward port', async () => {
      const sandbox = await pickSandbox(s, node, await reachableFilter(s));
      if (!sandbox) return;
      const text = await vscode.window.showInputBox({ title: `Forward a port of ${sandbox}`, prompt: 'Port in the sandbox (listens on 127.0.0.1 here)', value: '2222',
        validateInput: (v) => (/^\d+$/.test(v) && +v > 0 && +v < 65536 ? undefined : 'A port number from 1 to 65535.') });
      if (!text) return;
      const { startLocalForward } = loadCore().localForward;
      const cluster = await s.session.cluster();
      const id = `${sandbox}:${text}`;
      const fwd = await startLocalForward(cluster, { pod: sandbox, remotePort: Number(text), localPort: 0 });
      const port = fwd.localPort;
      s.forwards.add({ id, sandbox, remotePort: Number(text), localPort: port, state: 'listening', stop: () => fwd.stop() });
      fwd.on('state', (kind: string) => s.forwards.update(id, kind));
      void vscode.window.showInformationMessage(`Forwarding 127.0.0.1:${port} → ${sandbox}:${text}`, 'Copy Address')
        .then((a) => a && vscode.env.clipboard.writeText(`127.0.0.1:${port}`));
    })),

    vscode.commands.registerCommand(COMMANDS.stopForward, () => guarded(log, 'Stop port forward', async () => {
      const list = s.forwards.list();
      if (!list.length) { void vscode.window.showInformationMessage('No port forwards are running.'); return; }
      const pick = await vscode.window.showQuickPick(list.map((f) => ({ label: `127.0.0.1:${f.localPort} → ${f.sandbox}:${f.remotePort}`, description: f.state, id: f.id })),
        { title: 'Stop a port forward' });
      if (pick) await s.forwards.remove(pick.id);
    })),
  ];
}
