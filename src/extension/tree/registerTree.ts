import * as vscode from 'vscode';
import type { Services } from '../services';
import { unreachableKind } from './unreachableReason';

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
  let lastReason: string | undefined;
  s.tree.onRootState = async (state) => {
    if (state.kind === 'unreachable') {
      await vscode.commands.executeCommand('setContext', 'terrarium.reason', unreachableKind(state.reason));
      if (state.reason !== lastReason) s.log.warn(`cluster ${state.context} unreachable: ${state.reason}`);
    }
    lastReason = state.kind === 'unreachable' ? state.reason : undefined;
    await vscode.commands.executeCommand('setContext', 'terrarium.state', state.kind);
    if (state.kind === 'ready' || state.kind === 'noEnvironments') {
      // "Create Environment" is hidden where the person may not create one (the rules review says so).
      const p = await s.tree.team.permissions().catch(() => undefined);
      await vscode.commands.executeCommand('setContext', 'terrarium.createForbidden', !!p && !p.createEnvironment);
    }
    // No view.message: it would hide the welcome view, which says the same with buttons.
  };
  s.session.setVisible(view.visible);
  return [
    view,
    view.onDidChangeVisibility((e) => {
      s.session.setVisible(e.visible);
      if (e.visible) s.tree.refresh();
    }),
    // Another context's row watches only while expanded (getChildren marks it expanded).
    view.onDidCollapseElement((e) => { if (e.element.kind === 'cluster') s.session.setExpanded(e.element.context, false); }),
    view.onDidExpandElement((e) => { if (e.element.kind === 'cluster') s.session.setExpanded(e.element.context, true); }),
    { dispose: s.session.onDidChange(refreshSoon) },
    { dispose: () => timer && clearTimeout(timer) },
    { dispose: () => s.tree.team.dispose() },
  ];
}
