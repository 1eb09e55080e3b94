import * as vscode from 'vscode';
import { loadCore } from '../core';
import type { Services } from '../services';
import { SANDBOX_CONTAINER } from '../clusterSession';
import { createTmuxPty } from './tmuxTerminal';
import { terminalCandidates } from './terminalPick';

/** "Terrarium: tmux in Sandbox" in the terminal dropdown: attaches to the default session of a sandbox. */
export function registerTerminalProfile(s: Services): vscode.Disposable[] {
  return [vscode.window.registerTerminalProfileProvider('terrarium.tmux', {
    async provideTerminalProfile() {
      const cluster = await s.session.cluster();
      const { ready: sandboxes, mine } = await terminalCandidates(s.session);
      if (!sandboxes.length) {
        void vscode.window.showWarningMessage('No ready sandbox to open a terminal in. Open the Terrarium view to create or start one.');
        return undefined;
      }
      const pick = mine.length === 1 ? mine[0]!.name
        : (await vscode.window.showQuickPick((mine.length ? mine : sandboxes).map((x) => x.name), { title: 'Open a tmux terminal in' }));
      if (!pick) return undefined;
      const { execTtyConnector } = loadCore().execTty;
      const session = s.settings().defaultTmuxSession;
      return new vscode.TerminalProfile({
        name: `${pick}: ${session}`,
        pty: createTmuxPty(execTtyConnector(cluster, pick, SANDBOX_CONTAINER), pick, session),
        iconPath: new vscode.ThemeIcon('terminal-tmux'),
      });
    },
  })];
}
