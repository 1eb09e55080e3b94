import * as vscode from 'vscode';
import type { Sandbox } from '../../core/devenv';
import type { AgentSession } from '../../core/tmux/sessions';
import { orderContexts, type ClusterSession, type ViewState } from '../clusterSession';
import type { Log } from '../log';
import type { Core } from '../core';
import {
  advisoryNode, clusterNode, elsewhere, environmentNode, messageNode, namespaceNode, sandboxNode, sessionNode, type NodeView,
} from './treeModel';
import { TeamView } from './teamView';
import { sessionChildren, type SessionMonitor } from './sessionNodes';
import { sessionLogPath } from '../../core/agents/sessionLog';
import { FILTER_TEXT, groupNode, layoutSandboxes, messageNodeFor, withFilterNote, type SandboxFilter } from './sandboxRows';
import type { EnvironmentWatch } from '../../core/devenv/watch';
import { jobRows, jobsGroupRow, type JobTreeNode } from './jobNodes';
import type { QuickRoot } from './quickContexts';
import { changedRows, HandedRows } from './repaint';

/** Resolves after the answer being returned now has been sent to the workbench (its IPC writer runs on a timer). */
const afterReply = () => new Promise<void>((resolve) => setImmediate(() => setTimeout(resolve, 0)));

/** What a row carries besides its view: the object it stands for, for commands to act on. */
export type TreeNode =
  | { view: NodeView; kind: 'cluster'; context: string; quick?: boolean }
  | { view: NodeView; kind: 'namespace'; context: string; namespace: string }
  | { view: NodeView; kind: 'environment'; context: string; namespace: string; environment: string }
  | { view: NodeView; kind: 'group'; context: string; namespace: string; environment: string; index: number }
  | { view: NodeView; kind: 'sandbox'; context: string; namespace: string; environment: string; sandbox: Sandbox }
  | { view: NodeView; kind: 'session'; context: string; namespace: string; sandbox: string; session: AgentSession }
  | { view: NodeView; kind: 'message' }
  | JobTreeNode;

/**
 * The Clusters tree. Data comes from the session's watch caches, which run only while the view is
 * visible; a change event from the watch refreshes the tree (coalesced), never a timer.
 */
export class TerrariumTreeProvider implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private sessionsCache = new Map<string, AgentSession[]>();

  /**
   * The cluster rows from the kubeconfig alone (quickContexts.ts), shown while the first root state
   * is computed (the core bundle loads, the watch starts); undefined: wait for the state instead.
   */
  quickRoot?: () => QuickRoot | undefined;
  private firstState?: Promise<ViewState>;
  /** When the provider was made (at activation), to log once how long the first cluster rows took. */
  private readonly created = performance.now();
  private rowsLogged = false;
  /** The namespace rows last handed to VS Code, per context: a watch change repaints from them down. */
  private namespaceRows = new Map<string, TreeNode>();
  private lastWatch?: { state?: string; environments: number };

  /** Called with each freshly computed root state, so the welcome views can follow it. */
  onRootState?: (state: ViewState) => void | Promise<void>;

  /** Who the person is and what they may do in the open namespace (rules review, claim policy). */
  readonly team: TeamView;

  /** Which sandboxes the tree shows (the view title's filter button). */
  private _filter: SandboxFilter = 'all';
  /**
   * Sandboxes per environment, computed once per watch change: a repaint asks for the namespace,
   * every environment and each open group, and 2,000 sandboxes are worth deriving only once.
   */
  private memo = new WeakMap<EnvironmentWatch, { all?: Sandbox[]; byEnv: Map<string, Sandbox[]> }>();

  constructor(private readonly session: ClusterSession, private readonly log: Log, private readonly loadCore?: () => Core) {
    this.team = new TeamView(session, log, loadCore, () => this.refresh());
    session.onDidChange(() => { this.memo = new WeakMap(); });
  }

  get filter(): SandboxFilter { return this._filter; }
  setFilter(filter: SandboxFilter): void {
    this._filter = filter;
    this.refresh();
  }

  private sandboxesOf(watch: EnvironmentWatch, environment?: string): Sandbox[] {
    let m = this.memo.get(watch);
    if (!m) this.memo.set(watch, m = { byEnv: new Map() });
    if (environment === undefined) return m.all ??= watch.sandboxes();
    let list = m.byEnv.get(environment);
    if (!list) m.byEnv.set(environment, list = watch.sandboxes(environment));
    return list;
  }

  /** The rows under an environment (or one of its groups), from the watch cache: no request. */
  private sandboxRows(
    node: Extract<TreeNode, { kind: 'environment' | 'group' }>, watch: EnvironmentWatch, me: string | undefined,
    view: (sandbox: Sandbox) => NodeView, group?: (v: NodeView) => NodeView,
  ): TreeNode[] {
    const layout = layoutSandboxes(this.sandboxesOf(watch, node.environment), me, this._filter);
    const base = { context: node.context, namespace: node.namespace, environment: node.environment };
    const rows = (list: Sandbox[]): TreeNode[] => list.map((sandbox) => ({ kind: 'sandbox' as const, ...base, sandbox, view: view(sandbox) }));
    if (node.kind === 'group') return rows(layout.groups.find((g) => g.index === node.index)?.items ?? []);
    // Unfiltered, an environment without sandboxes (stopped) just has no children.
    if (!layout.shown) return this._filter === 'all' ? [] : [{ kind: 'message', view: messageNodeFor(node.view.id, FILTER_TEXT[this._filter].none) }];
    const envId = node.view.id;
    return [...rows(layout.rows), ...layout.groups.map((g) => ({
      kind: 'group' as const, ...base, index: g.index,
      view: (group ?? ((v: NodeView) => v))(groupNode(envId, node.environment, g, me)),
    }))];
  }

  /** Agent session rows and their polling (sessionNodes.ts); set by the session commands. */
  sessions?: SessionMonitor;

  refresh(clearSessions = false): void {
    if (clearSessions) { this.sessionsCache.clear(); void this.sessions?.refreshNow(); }
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const v = node.view;
    const item = new vscode.TreeItem(v.label,
      v.collapsible === 'none' ? vscode.TreeItemCollapsibleState.None
        : v.collapsible === 'expanded' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = v.id;
    item.description = v.description;
    if (v.tooltip) {
      const md = new vscode.MarkdownString(v.tooltip, true);
      md.isTrusted = false;
      md.supportHtml = false;
      item.tooltip = md;
    }
    item.iconPath = new vscode.ThemeIcon(v.icon.id, v.icon.color ? new vscode.ThemeColor(v.icon.color) : undefined);
    item.contextValue = v.contextValue;
    return item;
  }

  /**
   * A watch change. While the current namespace's watch stays synced with environments in it, the
   * rows VS Code holds under each namespace, environment and group are derived again and compared:
   * a row whose text changed is updated in place and fired alone (VS Code asks for that one item,
   * not the subtree: one round trip to the workbench); a parent whose list of rows changed (a
   * sandbox added, a filter's set moved) is fired so VS Code asks for its children. Ids never
   * change, so expansion and selection stay.
   */
  refreshFromWatch(): void {
    const watch = this.session.watch();
    const now = { state: watch?.state, environments: watch?.state === 'synced' ? watch.environments().length : 0 };
    const before = this.lastWatch;
    this.lastWatch = now;
    const stable = before?.state === 'synced' && now.state === 'synced' && before.environments > 0 && now.environments > 0;
    if (!stable || !this.namespaceRows.has(this.session.currentContext ?? '')) { this.refresh(); return; }
    if (this.repainting) { this.repaintAgain = true; return; }
    this.repainting = this.repaintChanged()
      .catch((e) => { this.log.warn(`tree: ${e instanceof Error ? e.message : String(e)}`); this.changed.fire([...this.namespaceRows.values()]); })
      .finally(() => {
        this.repainting = undefined;
        if (this.repaintAgain) { this.repaintAgain = false; this.refreshFromWatch(); }
      });
  }

  /** The rows handed to VS Code under each watch-derived parent (namespace, environment, group): repaint.ts. */
  private handed = new HandedRows<TreeNode>();
  private repainting?: Promise<void>;
  private repaintAgain = false;

  private async repaintChanged(): Promise<void> {
    if (!this.handed.size) { this.changed.fire([...this.namespaceRows.values()]); return; }
    const fire = await changedRows(this.handed, (parent) => this.children(parent));
    if (fire.length) this.changed.fire(fire);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    try {
      const rows = await this.children(node);
      if (!node && rows.length && !this.rowsLogged) {
        this.rowsLogged = true;
        this.log.info(`tree: first cluster rows ${Math.round(performance.now() - this.created)} ms after activation`);
      }
      if (node?.kind === 'cluster') for (const r of rows) if (r.kind === 'namespace') this.namespaceRows.set(r.context, r);
      if (!node) { this.namespaceRows.clear(); this.handed.clear(); }
      if (node?.kind === 'namespace' || node?.kind === 'environment' || node?.kind === 'group') this.handed.hand(node, rows);
      return rows;
    } catch (e) {
      this.log.warn(`tree: ${e instanceof Error ? e.message : String(e)}`);
      return [{ view: messageNode(node?.view.id ?? 'root', e instanceof Error ? e.message : String(e), 'error'), kind: 'message' }];
    }
  }

  private async children(node?: TreeNode): Promise<TreeNode[]> {
    const s = this.session;
    if (!node) {
      // The first look: rows from the kubeconfig now, the state (and any welcome view) when it is known.
      if (!this.firstState && s.currentContext === undefined) {
        const quick = this.quickRoot?.();
        if (quick) {
          // The state requires the core bundle (dist/cli.js, ~1 MB) before its first await: start it
          // only once these rows are on their way (the extension host sends answers on a timer).
          this.firstState = afterReply().then(() => s.state());
          this.firstState.then(() => this.refresh(), () => this.refresh());
          return orderContexts(quick.contexts, quick.current).map((c) => ({
            kind: 'cluster' as const, context: c.name, quick: true,
            view: clusterNode({ context: c.name, server: c.server, current: c.name === quick.current }),
          }));
        }
      }
      const state = await s.state();
      await this.onRootState?.(state);
      // Empty root => the matching viewsWelcome shows (no kubeconfig, unreachable, no environments…).
      if (state.kind !== 'ready') return [];
      return orderContexts(state.contexts, state.context).map((c) => ({
        kind: 'cluster' as const, context: c.name,
        view: clusterNode({ context: c.name, server: c.server, current: c.name === state.context }),
      }));
    }
    // A row shown before the cluster was open: its children wait for the first state.
    if (node.kind === 'cluster' && node.quick && (await this.firstState?.catch(() => undefined))?.kind !== 'ready') return [];
    if (node.kind !== 'message' && node.context !== s.currentContext) return this.otherContext(node);
    switch (node.kind) {
      case 'cluster': {
        return [{ kind: 'namespace', context: node.context, namespace: s.namespace,
          view: namespaceNode(node.context, s.namespace, { active: true }) }];
      }
      case 'namespace': {
        const watch = s.watch();
        if (!watch) return [];
        if (watch.state === 'syncing') return [{ kind: 'message', view: messageNode(node.view.id, 'Loading…', 'loading') }];
        if (watch.state === 'error') return [{ kind: 'message', view: messageNode(node.view.id, watch.error?.message ?? 'Watch failed', 'error') }];
        const team = await this.team.snapshot(this.sandboxesOf(watch));
        const notice: TreeNode[] = team.claims?.state === 'advisory' ? [{ kind: 'message', view: advisoryNode(node.view.id, team.claims.detail) }] : [];
        return [...notice, ...watch.environments().map((env) => {
          const list = this.sandboxesOf(watch, env.name);
          return {
            kind: 'environment' as const, context: node.context, namespace: node.namespace, environment: env.name,
            view: withFilterNote(environmentNode(node.context, env, list, team.me, team.permissions), this._filter,
              layoutSandboxes(list, team.me, this._filter).shown),
          };
        }), jobsGroupRow(node.context, node.namespace)];
      }
      case 'environment':
      case 'group': {
        const watch = s.watch();
        if (!watch) return [];
        const team = await this.team.snapshot(this.sandboxesOf(watch));
        return this.sandboxRows(node, watch, team.me, (sandbox) => sandboxNode(node.context, node.namespace, sandbox, team.me, team.permissions));
      }
      case 'sandbox': {
        const key = node.view.id;
        if (this.sessions) {
          return (await sessionChildren(this.sessions, key, node.sandbox.name, node.context, (n) => sessionLogPath(n))).map((r) => (r.session
            ? { kind: 'session' as const, context: node.context, namespace: node.namespace, sandbox: node.sandbox.name, session: r.session, view: r.view }
            : { kind: 'message' as const, view: r.view }));
        }
        let sessions = this.sessionsCache.get(key);
        if (!sessions) {
          sessions = await s.tmux(node.sandbox.name).list();
          this.sessionsCache.set(key, sessions);
        }
        if (!sessions.length) return [{ kind: 'message', view: messageNode(key, 'No agent sessions', 'info') }];
        return sessions.map((session) => ({
          kind: 'session' as const, context: node.context, namespace: node.namespace, sandbox: node.sandbox.name, session,
          view: sessionNode(key, session),
        }));
      }
      case 'jobs': {
        const cluster = await s.cluster();
        const me = (await s.identity().catch(() => undefined))?.username;
        return jobRows(node, { list: () => this.loadCore!().jobs.listJobs(cluster, { all: true }), me, refresh: () => this.refresh() });
      }
      default:
        return [];
    }
  }

  /**
   * Rows of a context other than the current one: its own session (own KubeConfig and Cluster,
   * the current context untouched), its watch running while the row is expanded. Browsing only:
   * the rows carry no action tags (elsewhere()), since commands act on the current context.
   */
  private async otherContext(node: Exclude<TreeNode, { kind: 'message' }>): Promise<TreeNode[]> {
    const other = this.session.forContext(node.context);
    switch (node.kind) {
      case 'cluster': {
        this.session.setExpanded(node.context, true);
        await other.cluster();
        return [{ kind: 'namespace', context: node.context, namespace: other.namespace,
          view: elsewhere(namespaceNode(node.context, other.namespace)) }];
      }
      case 'namespace': {
        const watch = await other.openWatch();
        if (watch.state === 'syncing' || watch.state === 'stopped') return [{ kind: 'message', view: messageNode(node.view.id, 'Loading…', 'loading') }];
        if (watch.state === 'error') return [{ kind: 'message', view: messageNode(node.view.id, watch.error?.message ?? 'Watch failed', 'error') }];
        if (!watch.environments().length) return [{ kind: 'message', view: messageNode(node.view.id, 'No environments', 'info') }];
        const me = (await other.identity().catch(() => undefined))?.username;
        return watch.environments().map((env) => {
          const list = this.sandboxesOf(watch, env.name);
          return {
            kind: 'environment' as const, context: node.context, namespace: node.namespace, environment: env.name,
            view: withFilterNote(elsewhere(environmentNode(node.context, env, list, me)), this._filter, layoutSandboxes(list, me, this._filter).shown),
          };
        });
      }
      case 'environment':
      case 'group': {
        const watch = await other.openWatch();
        const me = (await other.identity().catch(() => undefined))?.username;
        return this.sandboxRows(node, watch, me, (sandbox) => elsewhere(sandboxNode(node.context, node.namespace, sandbox, me)), elsewhere);
      }
      default:
        return [];
    }
  }
}
