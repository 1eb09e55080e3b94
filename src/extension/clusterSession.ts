/**
 * The extension's view of "where am I working": kubeconfig, context, namespace, the open Cluster
 * and its watch caches. No vscode import (unit tested in plain Node); the Kubernetes client is
 * loaded on first use, not at activation.
 */
import type { Cluster } from '../core/kube/cluster';
import type { ContextInfo, KubeconfigDiscovery, SecurityNotice } from '../core/kube/kubeconfig';
import { isTerrariumError, TerrariumError } from '../core/kube/errors';
import type { Identity } from '../core/kube/identity';
import type { EnvironmentWatch } from '../core/devenv/watch';
import type { TmuxSessions } from '../core/tmux/sessions';
import type { TerrariumSettings } from './settings';
import type { Core } from './core';

export type ViewState =
  | { kind: 'noKubeconfig'; reason: string }
  | { kind: 'unreachable'; reason: string; contexts: ContextInfo[]; context: string }
  | { kind: 'namespaceMissing'; contexts: ContextInfo[]; context: string }
  | { kind: 'noEnvironments'; contexts: ContextInfo[]; context: string }
  | { kind: 'ready'; contexts: ContextInfo[]; context: string };

/** Remembered choices (VS Code's workspaceState in the extension, a Map in tests). */
export interface Memento { get<T>(key: string): T | undefined; update(key: string, value: unknown): Thenable<void> | Promise<void> }

/** Container name in the sandbox pods (manifests/statefulset.yaml). */
export const SANDBOX_CONTAINER = 'devenv';

/**
 * The namespace a context works in: one picked in this workspace (Switch Namespace), else the
 * `terrarium.namespace` setting when the user set it, else the kubeconfig context's own
 * `namespace`, else the setting's default ("devenv").
 */
export function chooseNamespace(o: { picked?: string; setting: string; settingExplicit?: boolean; contextNamespace?: string }): string {
  if (o.picked) return o.picked;
  // Settings built without the flag (older callers, tests) name their namespace on purpose.
  if (o.settingExplicit ?? true) return o.setting;
  return o.contextNamespace || o.setting;
}

/** The tree's order of contexts: the current one first, the rest as the kubeconfig lists them. */
export function orderContexts<T extends { name: string }>(contexts: readonly T[], current?: string): T[] {
  return [...contexts.filter((c) => c.name === current), ...contexts.filter((c) => c.name !== current)];
}

export class ClusterSession {
  private core?: Core;
  private discovery?: KubeconfigDiscovery;
  private _cluster?: Cluster;
  private _watch?: EnvironmentWatch;
  private visible = false;
  private listeners = new Set<() => void>();
  private noticeListeners = new Set<(n: SecurityNotice) => void>();
  /** Notices already given in this session (kind + context), kept across reset(). */
  private noticed = new Set<string>();

  constructor(
    private readonly settings: () => TerrariumSettings,
    private readonly memento: Memento,
    /** The core bundle, loaded on first use (core.ts); tests pass the modules directly. */
    private readonly load: () => Core,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /**
     * Set for a tree row of another context than the current one: this session always opens that
     * context (its own KubeConfig) and never changes which context is current.
     */
    readonly pinnedContext?: string,
  ) {}

  /** Sessions of the other contexts the tree has expanded, each with its own Cluster and watch. */
  private others = new Map<string, ClusterSession>();
  private expanded = false;

  /**
   * The session for a context's tree row: this one for the current context, else one pinned to
   * `context` (created once, kept until reset()). Its changes repaint the tree like ours.
   */
  forContext(context: string): ClusterSession {
    if (this.pinnedContext === context || (!this.pinnedContext && context === this.currentContext)) return this;
    let other = this.others.get(context);
    if (!other) {
      other = new ClusterSession(this.settings, this.memento, () => this.core ?? this.load(), this.env, context);
      other.onDidChange(() => this.fire());
      // Its security notices (TLS skipped, exec plugin) reach the same listeners as the current context's.
      other.onNotice((n) => { for (const l of [...this.noticeListeners]) l(n); });
      this.others.set(context, other);
    }
    return other;
  }

  /** A context's row was expanded or collapsed: its watch runs only while expanded and the view visible. */
  setExpanded(context: string, expanded: boolean): void {
    const other = this.others.get(context);
    if (!other) return;
    other.expanded = expanded;
    other.setVisible(this.visible);
  }

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  private fire(): void { for (const l of [...this.listeners]) l(); }

  /**
   * What the user should know about a context when it is first opened in this session: its cluster
   * skips TLS verification, or its user runs an exec plugin. Each once per context per session.
   */
  onNotice(listener: (n: SecurityNotice) => void): () => void {
    this.noticeListeners.add(listener);
    return () => this.noticeListeners.delete(listener);
  }
  private notice(core: Core, cluster: Cluster): void {
    if (!this.discovery) return;
    for (const n of core.kubeconfig.noticesFor(this.discovery, cluster.context)) {
      const key = `${n.kind}\0${n.context}`;
      if (this.noticed.has(key)) continue;
      this.noticed.add(key);
      for (const l of [...this.noticeListeners]) l(n);
    }
  }

  get currentContext(): string | undefined { return this._cluster?.context; }
  get namespace(): string {
    const settings = this.settings();
    const context = this.pinnedContext ?? this._cluster?.context ?? this.chosenContext();
    return chooseNamespace({
      // A namespace picked with Switch Namespace belongs to the current context's row only.
      picked: this.pinnedContext ? undefined : this.memento.get<string>('terrarium.namespace'),
      setting: settings.namespace, settingExplicit: settings.namespaceExplicit,
      contextNamespace: this.discovery?.contexts.find((c) => c.name === context)?.namespace,
    });
  }
  private chosenContext(): string | undefined {
    return this.memento.get<string>('terrarium.context') || this.settings().context || this.discovery?.currentContext;
  }
  /**
   * Whom claims act for: TERRARIUM_USER (someone else, through impersonation the API server checks),
   * else the API server's name for you once identity() has answered (undefined before: the core
   * then asks the server itself). Never the OS login name: containers all log in as root or node.
   */
  get userName(): string | undefined { return this.env.TERRARIUM_USER || this._identity?.username; }
  private _identity?: Identity;

  /** Who the API server says you are (SelfSubjectReview), cached per cluster; see Identity.note for a fallback. */
  async identity(): Promise<Identity> {
    const cluster = await this.cluster();
    // Through the core bundle: the identity lookup carries the API routes, which extension.js leaves out.
    const identity = await (await this.loadCore()).identity.currentIdentity(cluster);
    if (this._cluster === cluster) this._identity = identity;
    return identity;
  }

  async loadCore(): Promise<Core> {
    return (this.core ??= this.load());
  }

  /** Re-reads kubeconfig and settings; drops the open cluster and its watches. */
  reset(): void {
    this._watch?.dispose();
    this._watch = undefined;
    for (const o of this.others.values()) o.dispose();
    this.others.clear();
    this._cluster = undefined;
    this._identity = undefined;
    this.discovery = undefined;
    this.fire();
  }

  async contexts(): Promise<{ contexts: ContextInfo[]; current?: string }> {
    const core = await this.loadCore();
    this.discovery ??= core.kubeconfig.discoverKubeconfig({ explicitPath: this.settings().kubeconfig, env: this.env });
    return { contexts: this.discovery.contexts, current: this.pinnedContext ?? this.chosenContext() };
  }

  /** The Cluster for the chosen context and namespace (one KubeConfig per context). */
  async cluster(): Promise<Cluster> {
    if (this._cluster) return this._cluster;
    const core = await this.loadCore();
    const { current } = await this.contexts();
    this._cluster = core.kubeconfig.openCluster({ discovery: this.discovery, context: current, namespace: this.namespace });
    this.notice(core, this._cluster);
    return this._cluster;
  }

  /** A Cluster for a given context and namespace (a restored panel may name another than the current one). */
  async clusterFor(context: string, namespace: string): Promise<Cluster> {
    const current = await this.cluster();
    if (current.context === context) return current.withNamespace(namespace);
    const core = await this.loadCore();
    await this.contexts();
    const other = core.kubeconfig.openCluster({ discovery: this.discovery, context, namespace });
    this.notice(core, other);
    return other;
  }

  /** What the tree should show: the state decides which welcome view appears when empty. */
  async state(): Promise<ViewState> {
    let cluster: Cluster;
    let contexts: ContextInfo[];
    try {
      contexts = (await this.contexts()).contexts;
      cluster = await this.cluster();
    } catch (e) {
      if (isTerrariumError(e)) return { kind: 'noKubeconfig', reason: e.text };
      throw e;
    }
    const base = { contexts, context: cluster.context };
    const watch = this.ensureWatch(cluster);
    if (watch.state === 'error' && watch.error) {
      const core = await this.loadCore();
      const report = await core.health.checkHealth(cluster);
      if (!report.reachable) return { kind: 'unreachable', reason: report.error?.text ?? watch.error.text, ...base };
      if (report.namespaceExists === false) return { kind: 'namespaceMissing', ...base };
      return { kind: 'unreachable', reason: watch.error.text, ...base };
    }
    if (watch.state === 'synced' && watch.environments().length === 0) {
      const core = await this.loadCore();
      const report = await core.health.checkHealth(cluster);
      if (report.namespaceExists === false) return { kind: 'namespaceMissing', ...base };
      return { kind: 'noEnvironments', ...base };
    }
    return { kind: 'ready', ...base };
  }

  private ensureWatch(cluster: Cluster): EnvironmentWatch {
    if (!this._watch) {
      const core = this.core!;
      this._watch = new core.watch.EnvironmentWatch(cluster);
      this._watch.onChange(() => this.fire());
      if (this.watching) this._watch.start();
    }
    return this._watch;
  }

  /** The running watch of the current namespace, if the cluster is open. */
  watch(): EnvironmentWatch | undefined { return this._watch; }

  /** Opens the cluster and its watch (a pinned row's, on expand); it runs only while visible. */
  async openWatch(): Promise<EnvironmentWatch> {
    const cluster = await this.cluster();
    await this.loadCore();
    return this.ensureWatch(cluster);
  }

  /** Whether this session's watch may run: the view is visible (and, for another context's row, it is expanded). */
  private get watching(): boolean { return this.visible && (!this.pinnedContext || this.expanded); }

  /** Watches run only while a view that needs them is visible. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    for (const o of this.others.values()) o.setVisible(visible);
    if (!this._watch) return;
    if (this.watching) this._watch.start();
    else this._watch.stop();
  }

  async switchContext(name: string): Promise<void> {
    if (this.pinnedContext) throw new TerrariumError('NotReady', 'A row of another context cannot switch contexts.', 'Use Switch Context on the current context.');
    const { contexts } = await this.contexts();
    if (!contexts.some((c) => c.name === name)) {
      throw new TerrariumError('NoContext', `There is no context "${name}" in the kubeconfig.`, 'Pick one of the listed contexts.');
    }
    await this.memento.update('terrarium.context', name);
    this.reset();
  }

  async switchNamespace(namespace: string): Promise<void> {
    await this.memento.update('terrarium.namespace', namespace);
    this.reset();
  }

  tmux(sandbox: string): TmuxSessions {
    const core = this.core;
    const cluster = this._cluster;
    if (!core || !cluster) throw new TerrariumError('NotReady', 'No cluster is open yet.', 'Open the Terrarium view first.');
    return new core.tmux.TmuxSessions(core.exec.execRunner(cluster, SANDBOX_CONTAINER), sandbox, cluster);
  }

  dispose(): void {
    this._watch?.dispose();
    for (const o of this.others.values()) o.dispose();
    this.others.clear();
    this.listeners.clear();
    this.noticeListeners.clear();
  }
}
