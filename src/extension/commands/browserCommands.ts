/**
 * "Open in Browser" on a sandbox: VS Code's server in the sandbox, forwarded to 127.0.0.1 here and
 * opened with `env.openExternal` (works from VS Code forks without Remote-SSH). Not the Simple
 * Browser: it shows pages in a frame of another site, where the server's SameSite=Lax token cookie
 * is not sent. A status bar item lists the open sessions; clicking it (or "Stop") ends one, which
 * stops the forward and the server. Sessions also end after 5 minutes without a browser tab.
 * The URL carries the session's token: it goes to openExternal only, never to the log.
 */
import * as vscode from 'vscode';
import { loadCore } from '../core';
import { COMMANDS } from '../commandIds';
import type { Services } from '../services';
import type { TreeNode } from '../tree/treeProvider';
import { guarded, withProgress } from '../ui';
import { pickSandbox, reachableFilter } from './pickers';

type Session = import('../../core/browser').BrowserSession;
type StopReason = import('../../core/browser').StopReason;

export function registerBrowserCommands(s: Services): vscode.Disposable[] {
  const { log } = s;
  const sessions = new Map<string, Session>();
  const item = vscode.window.createStatusBarItem('terrarium.browser', vscode.StatusBarAlignment.Left, 8);
  item.name = 'Terrarium: VS Code in the browser';
  item.command = COMMANDS.stopBrowser;
  const update = () => {
    if (!sessions.size) { item.hide(); return; }
    item.text = `$(globe) ${[...sessions.keys()].join(', ')}`;
    item.tooltip = [...sessions.values()].map((x) => `VS Code for ${x.sandbox} in the browser at ${x.address}`).join('\n') + '\nClick to stop.';
    item.show();
  };

  const openExternal = (x: Session) => vscode.env.openExternal(vscode.Uri.parse(x.url, true));

  const start = async (sandbox: string): Promise<Session | undefined> => {
    const { browser } = loadCore();
    const cluster = await s.session.cluster();
    const begin = () => withProgress(`Opening ${sandbox} in the browser`, (signal, report) =>
      browser.startBrowserSession(cluster, { sandbox, signal, progress: report }));
    try {
      return await begin();
    } catch (e) {
      if (!browser.isNoServerError(e)) throw e;
      const pick = await vscode.window.showErrorMessage(e.message, {
        modal: true,
        detail: 'Choose a Linux code-server or openvscode-server release archive (.tar.gz) for the sandbox\'s architecture on this machine: it is copied into the sandbox\'s workspace (no internet access needed there) and kept across restarts.',
      }, 'Install from File…');
      if (pick !== 'Install from File…') return undefined;
      const files = await vscode.window.showOpenDialog({ title: `VS Code server release for ${sandbox}`, openLabel: 'Install', canSelectMany: false, filters: { 'Release archive': ['gz', 'tgz'] } });
      if (!files?.[0]) return undefined;
      await withProgress(`Installing the VS Code server into ${sandbox}`, (signal, report) => {
        report('copying the release into the workspace');
        return browser.installServer(cluster, sandbox, files[0]!.fsPath, { signal });
      });
      return begin();
    }
  };

  const stop = async (x: Session) => {
    await x.stop();
  };

  return [
    item,
    { dispose: () => { for (const x of sessions.values()) void x.stop(); sessions.clear(); } },

    vscode.commands.registerCommand(COMMANDS.openInBrowser, (node?: TreeNode) => guarded(log, 'Open in Browser', async () => {
      const sandbox = await pickSandbox(s, node, await reachableFilter(s));
      if (!sandbox) return;
      const running = sessions.get(sandbox);
      if (running) { await openExternal(running); return; }
      const session = await start(sandbox);
      if (!session) return;
      sessions.set(sandbox, session);
      update();
      session.on('warning', (w: string) => log.warn(w));
      session.on('stopped', (reason: StopReason) => {
        if (sessions.get(sandbox) === session) sessions.delete(sandbox);
        update();
        log.info(`VS Code in the browser for ${sandbox} stopped (${reason})`);
        if (reason === 'idle') void vscode.window.showInformationMessage(`Stopped VS Code in the browser for ${sandbox}: no browser tab was open for 5 minutes.`);
      });
      log.info(`VS Code in the browser for ${sandbox} at ${session.address} (server port ${session.remotePort} in the sandbox)`);
      await openExternal(session);
      void vscode.window.showInformationMessage(`VS Code for ${sandbox} is open in your browser (${session.address}).`, 'Open Again', 'Stop')
        .then(async (a) => {
          if (a === 'Stop') await stop(session);
          else if (a === 'Open Again') await openExternal(session);
        });
    })),

    vscode.commands.registerCommand(COMMANDS.stopBrowser, () => guarded(log, 'Stop VS Code in the browser', async () => {
      const list = [...sessions.values()];
      if (!list.length) { void vscode.window.showInformationMessage('No sandbox is open in the browser.'); return; }
      const pick = list.length === 1 ? list[0] : (await vscode.window.showQuickPick(
        list.map((x) => ({ label: x.sandbox, description: x.address, x })), { title: 'Stop VS Code in the browser for' }))?.x;
      if (pick) await stop(pick);
    })),
  ];
}
