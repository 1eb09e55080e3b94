/**
 * Who the person is and what they may do in the open namespace, for the tree and the commands:
 * the identity, the rules review (core/kube/permissions, cached per cluster and namespace) and
 * whether claims are enforced by the claim policy. No vscode import: unit tested in plain Node.
 *
 * The review is read again when the watch reconnects after an error, when the cluster or
 * namespace changes, and when the person's own claims change (the controller's per-user Role
 * lists the pods they hold, and grants within about a second of a claim: one more look follows).
 */
import type { Sandbox } from '../../core/devenv';
import type { PermissionsCache, TerrariumPermissions } from '../../core/kube/permissions';
import type { Cluster } from '../../core/kube/cluster';
import type { ClusterSession } from '../clusterSession';
import type { Core } from '../core';

export interface TeamSnapshot {
  /** The claim user name of this person. */
  me: string;
  /** Undefined only when the core is not loadable (tests of the bare tree). */
  permissions?: TerrariumPermissions;
  /** False: no claim policy installed (claims are advisory); undefined: not known. */
  claimsEnforced?: boolean;
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
  private readonly enforced = new Map<string, Promise<boolean | undefined>>();
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

  /** The claim user name. */
  // TODO(wave3): currentIdentity(cluster) from src/core/kube/identity.ts (claims engineer) when it lands.
  me(): string { return this.session.userName; }

  private core(): Core | undefined {
    try { return this.loadCore?.(); } catch { return undefined; }
  }

  /** Forget the rules review (and the claim policy answer) so the next look asks the server again. */
  invalidate(): void {
    this.cache?.invalidate();
    this.enforced.clear();
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
    const me = this.me();
    if (sandboxes) {
      const held = sandboxes.filter((s) => s.claimedBy === me).map((s) => s.name).sort().join(',');
      if (this.held !== undefined && held !== this.held) this.claimsChanged();
      this.held = held;
    }
    const core = this.core();
    if (!core) return { me };
    this.cache ??= new core.permissions.PermissionsCache();
    const claimsEnforced = await this.claimsEnforced(core, cluster);
    // TODO(wave3): pass the identity's groups (terrarium-admins may force-release) once identity.ts lands.
    const permissions = await this.cache.get(cluster, { groups: [], claimsEnforced });
    if (!permissions.known && permissions.note) this.once(`${cluster.context}/${cluster.namespace}: ${permissions.note}`);
    return { me, permissions, claimsEnforced };
  }

  private claimsChanged(): void {
    this.invalidate();
    clearTimeout(this.recheck);
    this.recheck = setTimeout(() => { this.invalidate(); this.changed(); }, GRANT_RECHECK_MS);
    this.recheck.unref?.();
  }

  private claimsEnforced(core: Core, cluster: Cluster): Promise<boolean | undefined> {
    const key = `${cluster.context}\0${cluster.namespace}`;
    let p = this.enforced.get(key);
    if (!p) {
      p = core.permissions.claimsEnforced(cluster).catch((e: unknown) => {
        this.once(`could not tell whether claims are enforced in ${cluster.namespace}: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
      this.enforced.set(key, p);
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
