import * as vscode from 'vscode';
import type { Services } from '../services';
import { unreachableKind } from './unreachableReason';
import { COMMANDS } from '../commandIds';
import { quickContexts } from './quickContexts';
import { FILTER_TEXT, isSandboxFilter, SANDBOX_FILTERS, type SandboxFilter } from './sandboxRows';

/** Where the filter is remembered (per workspace). */
const FILTER_KEY = 'terrarium.sandboxFilter';
/** A watch change repaints at once; more changes within this window repaint once at its end. */
const REPAINT_MS = 50;

/**
 * The Clusters view. Watches run only while it is visible; watch events refresh it, coalesced so
 * a burst (a StatefulSet scaling 20 pods) repaints once. The context key terrarium.state picks
 * the welcome view for an empty tree.
 */
export function registerTree(s: Services): vscode.Disposable[] {
  // The cluster rows the kubeconfig names, before the core bundle loads (the same choice of context as the session's).
  s.tree.quickRoot = () => quickContexts({
    explicitPath: s.settings().kubeconfig, picked: s.context.workspaceState.get<string>('terrarium.context') || s.settings().context,
  });
  const view = vscode.window.createTreeView('terrarium.clusters', { treeDataProvider: s.tree, showCollapseAll: true, canSelectMany: true });
  // Throttled, not debounced: the first change after a quiet spell repaints at once (the watch has
  // already coalesced its burst), so a pod's new state reaches its row within the 100 ms target.
  let timer: NodeJS.Timeout | undefined;
  let again = false;
  const refreshSoon = () => {
    if (timer) { again = true; return; }
    s.tree.refreshFromWatch();
    const tick = () => { timer = undefined; if (again) { again = false; s.tree.refreshFromWatch(); timer = setTimeout(tick, REPAINT_MS); } };
    timer = setTimeout(tick, REPAINT_MS);
  };
  const applyFilter = async (filter: SandboxFilter) => {
    s.tree.setFilter(filter);
    view.description = FILTER_TEXT[filter].view;
    await vscode.commands.executeCommand('setContext', FILTER_KEY, filter === 'all' ? '' : filter);
  };
  const remembered = s.context.workspaceState.get<string>(FILTER_KEY);
  void applyFilter(isSandboxFilter(remembered) ? remembered : 'all');
  const pickFilter = async () => {
    const items = SANDBOX_FILTERS.map((f) => ({ label: FILTER_TEXT[f].label, detail: FILTER_TEXT[f].detail, picked: f === s.tree.filter, filter: f,
      description: f === s.tree.filter ? 'shown now' : undefined }));
    const pick = await vscode.window.showQuickPick(items, { title: 'Show which sandboxes', placeHolder: 'Filter the sandboxes of every environment' });
    if (!pick) return;
    await s.context.workspaceState.update(FILTER_KEY, pick.filter);
    await applyFilter(pick.filter);
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
      // Not awaited: the rows show first, the review's requests answer later.
      void s.tree.team.permissions().catch(() => undefined)
        .then((p) => vscode.commands.executeCommand('setContext', 'terrarium.createForbidden', !!p && !p.createEnvironment));
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
    vscode.commands.registerCommand(COMMANDS.filterSandboxes, pickFilter),
    vscode.commands.registerCommand(COMMANDS.filterSandboxesActive, pickFilter),
    { dispose: () => timer && clearTimeout(timer) },
    { dispose: () => s.tree.team.dispose() },
  ];
}
