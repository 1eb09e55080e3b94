import * as vscode from 'vscode';
import type { Services } from '../services';

/**
 * The Clusters view. Watches run only while it is visible; watch events refresh it, coalesced so
 * a burst (a StatefulSet scaling 20 pods) repaints once. The context key terrarium.state picks
 * the welcome view for an empty tree.
 */
export function registerTree(s: Services): vscode.Disposable[] {
  const view = vscode.window.createTreeView('terrarium.clusters', { treeDataProvider: s.tree, showCollapseAll: true, canSelectMany: true });
  let timer: NodeJS.Timeout | undefined;
  const refreshSoon = () => {
    if (timer) return;
    timer = setTimeout(() => { timer = undefined; s.tree.refresh(); }, 150);
  };
  s.tree.onRootState = async (state) => {
    await vscode.commands.executeCommand('setContext', 'terrarium.state', state.kind);
    view.message = state.kind === 'unreachable' || state.kind === 'noKubeconfig' ? state.reason : undefined;
  };
  s.session.setVisible(view.visible);
  return [
    view,
    view.onDidChangeVisibility((e) => {
      s.session.setVisible(e.visible);
      if (e.visible) s.tree.refresh();
    }),
    { dispose: s.session.onDidChange(refreshSoon) },
    { dispose: () => timer && clearTimeout(timer) },
  ];
}
