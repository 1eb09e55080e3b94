/**
 * "Terrarium: Create a Local Cluster": runs `terrarium cluster create` (kind, the platform, a first
 * sandbox) in a terminal that shows its progress, then refreshes the view. Offered by the
 * "no kubeconfig" welcome view when kind is on PATH (context key set at activation).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import { validateClusterName } from '../../core/localCluster/kindConfig';
import { COMMANDS } from '../commandIds';
import { proxyLauncher } from '../proxyLauncher';
import type { Services } from '../services';
import { guarded } from '../ui';
import { createClusterArgv, KIND_PRESENT_CONTEXT, kindPresent, toTerminal } from './localClusterLaunch';

export function registerLocalClusterCommands(s: Services): vscode.Disposable[] {
  void vscode.commands.executeCommand('setContext', KIND_PRESENT_CONTEXT, kindPresent());
  return [
    vscode.commands.registerCommand(COMMANDS.createLocalCluster, () => guarded(s.log, 'Create a local cluster', async () => {
      const name = await vscode.window.showInputBox({
        title: 'Create a local cluster (kind)', value: 'terrarium', ignoreFocusOut: true,
        prompt: 'The kind cluster\'s name. Terrarium creates it, installs its platform and starts a first sandbox (environment "dev").',
        validateInput: (v) => { try { validateClusterName(v.trim()); return undefined; } catch (e: any) { return e.text ?? e.message; } },
      });
      if (!name) return;
      const launcher = proxyLauncher(s.context.extensionPath);
      const { file, args } = createClusterArgv(launcher, name.trim(), s.settings().kubeconfig);
      const write = new vscode.EventEmitter<string>();
      const close = new vscode.EventEmitter<number | void>();
      let child: ChildProcess | undefined;
      const pty: vscode.Pseudoterminal = {
        onDidWrite: write.event,
        onDidClose: close.event,
        open: () => {
          write.fire(toTerminal(`$ terrarium ${args.slice(1).join(' ')}\n`));
          child = spawn(file, args, { env: { ...process.env, ...launcher.env }, stdio: ['ignore', 'pipe', 'pipe'] });
          child.stdout!.on('data', (b: Buffer) => write.fire(toTerminal(b.toString())));
          child.stderr!.on('data', (b: Buffer) => write.fire(toTerminal(b.toString())));
          child.on('error', (e) => write.fire(toTerminal(`\n${e.message}\n`)));
          child.on('close', (code) => {
            write.fire(toTerminal(`\n[${code === 0 ? 'done' : `exited with ${code}`}: this terminal can be closed]\n`));
            s.log.info(`terrarium cluster create ${name} exited with ${code}`);
            // The kubeconfig now has the kind context (even when a later step failed): show it.
            s.session.reset();
            s.tree.refresh(true);
            if (code === 0) void vscode.window.showInformationMessage(`Local cluster "${name}" is ready with a first sandbox (dev-0).`);
          });
        },
        close: () => { child?.kill('SIGINT'); },
        handleInput: (data) => { if (data === '\x03') child?.kill('SIGINT'); },
      };
      vscode.window.createTerminal({ name: `Terrarium: create ${name}`, pty }).show();
    })),
  ];
}
