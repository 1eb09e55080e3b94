import * as vscode from 'vscode';
import { COMMANDS } from './commandIds';
import type { Services } from './services';

/** Context/namespace (click to switch) and the number of active forwards. */
export function registerStatusBar(s: Services): vscode.Disposable[] {
  const where = vscode.window.createStatusBarItem('terrarium.context', vscode.StatusBarAlignment.Left, 10);
  where.name = 'Terrarium cluster';
  where.command = COMMANDS.switchContext;
  const fwd = vscode.window.createStatusBarItem('terrarium.forwards', vscode.StatusBarAlignment.Left, 9);
  fwd.name = 'Terrarium port forwards';
  fwd.command = COMMANDS.stopForward;

  const update = () => {
    const ctx = s.session.currentContext;
    if (ctx) {
      where.text = `$(cloud) ${ctx} / ${s.session.namespace}`;
      where.tooltip = `Terrarium: context ${ctx}, namespace ${s.session.namespace}. Click to switch.`;
      where.show();
    } else {
      where.hide();
    }
    const list = s.forwards.list();
    if (list.length) {
      fwd.text = `$(plug) ${list.length}`;
      fwd.tooltip = list.map((f) => `127.0.0.1:${f.localPort} → ${f.sandbox}:${f.remotePort} (${f.state})`).join('\n');
      fwd.show();
    } else {
      fwd.hide();
    }
  };
  const unsub = s.session.onDidChange(update);
  update();
  return [where, fwd, s.forwards.onDidChange(update), { dispose: unsub }];
}
