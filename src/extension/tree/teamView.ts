/**
 * Who the person is and what they may do in the open namespace, for the tree and the commands:
 * the identity (SelfSubjectReview), the rules review (core/kube/permissions, cached per cluster and
 * namespace) and whether claims are enforced by the claim policy (core/platform/status). No vscode import: unit tested in plain Node.
 *
 * The review is read again when the watch reconnects after an error, when the cluster or
 * namespace changes, and when the person's own claims change (the controller's per-user Role
 * lists the pods they hold, and grants within about a second of a claim: one more look follows).
 */
import type { Sandbox } from '../../core/devenv';
import type { PermissionsCache, TerrariumPermissions } from '../../core/kube/permissions';
import type { Cluster } from '../../core/kube/cluster';
import type { Identity } from '../../core/kube/identity';
import type { ClusterSession } from '../clusterSession';
import type { Core } from '../core';

export interface TeamSnapshot {
  /** The claim user name of this person (the API server's); undefined when it could not be asked. */
  me?: string;
  /** Undefined only when the core is not loadable (tests of the bare tree). */
  permissions?: TerrariumPermissions;
  /** Whether the claim policy guards claims here (platform status), with its sentence for people; undefined: not read. */
  claims?: { state: 'enforced' | 'advisory' | 'unknown'; detail: string };
}

/** The part of the log TeamView writes to. */
export interface TeamLog { info(m: string): void; warn(m: string): void }

/** How long after a change of one's claims the review is read once more (the controller's grant delay). */
export const GRANT_RECHECK_MS = 1500;

export class TeamView {
  private cache?: PermissionsCache;
  private cluster?: Cluster;
  private held?: string;
  private watchState?: string;
  private recheck?: NodeJS.Timeout;
  private readonly claimsState = new Map<string, Promise<TeamSnapshot['claims']>>();
  private readonly logged = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly session: ClusterSession,
    private readonly log: TeamLog,
    private readonly loadCore: (() => Core) | undefined,
    private readonly changed: () => void,
  ) {
    this.unsubscribe = session.onDidChange(() => {
      const state = session.watch()?.state;
      // A watch that comes back after an error is a reconnect: what we may do can have changed.
      if (this.watchState === 'error' && state === 'synced') this.invalidate();
      this.watchState = state;
    });
  }

  /**
   * Who the API server says the person is (SelfSubjectReview, cached per kubeconfig by the core;
   * the kubeconfig's user name where the server lacks the API, with a note for the log). Undefined
   * when it cannot be asked: then nothing shows as "yours" (a local login name is never an identity).
   */
  async identity(): Promise<Pick<Identity, 'username' | 'groups'> | undefined> {
    const cluster = await this.session.cluster();
    const core = this.core();
    if (!core) return undefined;
    try {
      const id = await core.identity.currentIdentity(cluster);
      if (id.note) this.once(`${cluster.context}: ${id.note}`);
      return id;
    } catch (e) {
      this.once(`${cluster.context}: could not ask the API server who you are: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  private core(): Core | undefined {
    try { return this.loadCore?.(); } catch { return undefined; }
  }

  /** Forget the rules review (and the claim policy answer) so the next look asks the server again. */
  invalidate(): void {
    this.cache?.invalidate();
    this.claimsState.clear();
  }

  /** The permissions for commands: the cached answer, read now if there is none. */
  async permissions(): Promise<TerrariumPermissions | undefined> {
    return (await this.snapshot()).permissions;
  }

  /**
   * Identity, permissions and claim enforcement for the open cluster. `sandboxes` (every sandbox in
   * the namespace) tells whether the person's claims changed since the last look.
   */
  async snapshot(sandboxes?: readonly Sandbox[]): Promise<TeamSnapshot> {
    const cluster = await this.session.cluster();
    if (cluster !== this.cluster) {
      this.cluster = cluster;
      this.held = undefined;
      this.invalidate();
    }
    const id = await this.identity();
    const me = id?.username;
    if (sandboxes && me !== undefined) {
      const held = sandboxes.filter((s) => s.claimedBy === me).map((s) => s.name).sort().join(',');
      if (this.held !== undefined && held !== this.held) this.claimsChanged();
      this.held = held;
    }
    const core = this.core();
    if (!core) return { me };
    this.cache ??= new core.permissions.PermissionsCache();
    const claims = await this.claims(core, cluster);
    const permissions = await this.cache.get(cluster, { groups: id?.groups ?? [] });
    if (!permissions.known && permissions.note) this.once(`${cluster.context}/${cluster.namespace}: ${permissions.note}`);
    return { me, permissions, claims };
  }

  private claimsChanged(): void {
    this.invalidate();
    clearTimeout(this.recheck);
    this.recheck = setTimeout(() => { this.invalidate(); this.changed(); }, GRANT_RECHECK_MS);
    this.recheck.unref?.();
  }

  private claims(core: Core, cluster: Cluster): Promise<TeamSnapshot['claims']> {
    const key = `${cluster.context}\0${cluster.namespace}`;
    let p = this.claimsState.get(key);
    if (!p) {
      p = core.platform.platformStatus(cluster).then((st) => st.claims, (e: unknown) => {
        this.once(`could not tell whether claims are enforced in ${cluster.namespace}: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
      this.claimsState.set(key, p);
    }
    return p;
  }

  private once(line: string): void {
    if (this.logged.has(line)) return;
    this.logged.add(line);
    this.log.warn(`permissions: ${line}`);
  }

  dispose(): void {
    clearTimeout(this.recheck);
    this.unsubscribe();
  }
}
