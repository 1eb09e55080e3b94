/**
 * The Terrarium controller loop (`terrarium controller`): watches the namespace's claims (PVCs),
 * pods and StatefulSets, and while it leads (Lease, leader.ts) keeps
 * - per user, Role + RoleBinding `terrarium-access-<slug>` on exactly the sandboxes they hold
 *   (access.ts), written within milliseconds of the claim or release the watch delivers;
 * - `terrarium-secrets-read`: get on the VSO destination Secrets only;
 * - each grant and revoke as an Event on the sandbox's pod (events.ts);
 * - the per-environment reconcilers (warm pool, idle) on change and every 30 s.
 * It converges from scratch at every start and every new term: the Roles it finds are compared
 * with the claims, so stale grants of users who hold nothing are removed. Writes are server-side
 * apply (idempotent) and deletes that accept 404, so running them twice is harmless.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError, TerrariumError } from '../kube/errors';
import { createInformer, MANAGED_BY_SELECTOR, RESOURCES, type Informer, type ResourceRef } from '../kube/informer';
import { listOp } from '../kube/list';
import { OPS, pathOf } from '../kube/ops';
import { sleep } from '../kube/retry';
import { LABEL_ENVIRONMENT, LABEL_MANAGED_BY, MANAGED_BY } from '../devenv/names';
import { SECRET_KINDS, VSO_GROUP, VSO_PLURALS, VSO_VERSION } from '../secrets/vsoResources';
import {
  ACCESS_PREFIX, ACCESS_SUBRESOURCES, ANNOTATION_USER, CONTROLLER_NAME, LABEL_ACCESS, diffAccess, grantedSandboxes, holdings,
  readableSecrets, renderAccessBinding, renderAccessRole, renderSecretsReadBinding, renderSecretsReadRole, sandboxesByUser,
  type AccessChange, type ExistingAccess, type Obj, type RoleBindingObject, type RoleObject,
} from './access';
import type { ControllerContext } from './context';
import { recordEvent } from './events';
import { sendJson } from './http';
import { LeaderElector, type LeaderOptions } from './leader';
import { reconcileWarmPool } from './warmPool';
import { reconcileIdle } from './idle';

/** A per-environment reconciler: pure over the API, idempotent (see context.ts). */
export interface EnvironmentReconciler {
  name: string;
  run(ctx: ControllerContext, environment: string): Promise<void>;
}

/** What runs per environment, on change (coalesced) and every resync (warmPool.ts, idle.ts). */
export const ENVIRONMENT_RECONCILERS: EnvironmentReconciler[] = [
  { name: 'warm pool', run: (ctx, env) => reconcileWarmPool(ctx, env) },
  { name: 'idle', run: (ctx, env) => reconcileIdle(ctx, env) },
];

export interface ControllerOptions {
  cluster: Cluster;
  /** This replica's identity (Lease holder, Event reportingInstance): the pod name in-cluster. */
  identity: string;
  log: (line: string) => void;
  signal: AbortSignal;
  now?: () => Date;
  /** Converge once and return (for tests and scripts). */
  once?: boolean;
  /** Lease settings; false: no election (one replica). */
  leaderElection?: false | Omit<LeaderOptions, 'identity' | 'log' | 'now'>;
  /** Full re-list and reconcile period; default 30 s. */
  resyncMs?: number;
  environmentReconcilers?: EnvironmentReconciler[];
}

const FIELD_MANAGER = CONTROLLER_NAME;
const ACCESS_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_ACCESS}=user`;
const SUBRESOURCES_TEXT = ACCESS_SUBRESOURCES.join(', ');
const q = (s: string) => JSON.stringify(s);

/** Runs fn again when kicked while running; never two at once. */
class Serial {
  private running: Promise<void> | undefined;
  private again = false;
  constructor(private readonly fn: () => Promise<void>) {}
  kick(): Promise<void> {
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      try {
        do { this.again = false; await this.fn(); } while (this.again);
      } finally { this.running = undefined; }
    })();
    return this.running;
  }
  idle(): Promise<void> { return this.running ?? Promise.resolve(); }
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try { await p; } catch (e) { if (!isTerrariumError(e, 'NotFound')) throw e; }
}

/** One leadership term: its context (signal aborted when the term ends) and what it wrote. */
interface Term {
  ctx: ControllerContext;
  access: Serial;
  envs: Map<string, Serial>;
  envTimers: Map<string, NodeJS.Timeout>;
  /** Access Roles by name, as listed at the term's start (and each resync) and as written since. */
  existing?: Map<string, ExistingAccess>;
  reseed: boolean;
  /** The secret names terrarium-secrets-read last got in this term. */
  secrets?: string;
}

const errText = (e: unknown) => (isTerrariumError(e) ? e.message : String(e));

export class TerrariumController {
  private readonly cluster: Cluster;
  private readonly log: (line: string) => void;
  private readonly now: () => Date;
  readonly pvcs: Informer<KubernetesObject & Obj>;
  readonly pods: Informer<KubernetesObject & Obj>;
  readonly statefulSets: Informer<KubernetesObject & Obj>;
  private readonly vso: Informer<any>[];
  private readonly synced = new Set<Informer<any>>();
  private readonly reconcilers: EnvironmentReconciler[];
  private readonly pendingEvents = new Set<Promise<void>>();
  private term: Term | undefined;
  private readonly changeListeners = new Set<() => void>();
  /** Writes this process made (for tests: a stopped leader makes none). */
  writes = 0;

  constructor(private readonly opts: ControllerOptions) {
    this.cluster = opts.cluster;
    this.log = opts.log;
    this.now = opts.now ?? (() => new Date());
    this.reconcilers = opts.environmentReconcilers ?? ENVIRONMENT_RECONCILERS;
    // The watch caches reconnect and re-list on 410 (informer.ts); a short idle reconnect keeps
    // a quiet namespace's watches fresh.
    const tuning = { maxDelayMs: 5000 };
    this.pvcs = createInformer(this.cluster, { resource: RESOURCES.persistentVolumeClaims }, tuning);
    this.pods = createInformer(this.cluster, { resource: RESOURCES.pods }, tuning);
    this.statefulSets = createInformer(this.cluster, { resource: RESOURCES.statefulSets, labelSelector: MANAGED_BY_SELECTOR }, tuning);
    this.vso = SECRET_KINDS.map((k) => createInformer<any>(this.cluster,
      { resource: { group: VSO_GROUP, version: VSO_VERSION, plural: VSO_PLURALS[k] } satisfies ResourceRef }, { ...tuning, maxDelayMs: 30_000 }));
  }

  /** Runs until opts.signal aborts (or, with once, after one convergence). */
  async run(): Promise<void> {
    const { signal } = this.opts;
    const core = [this.pvcs, this.pods, this.statefulSets];
    const vsoMissing = new Set<Informer<any>>();
    for (const inf of [...core, ...this.vso]) {
      inf.onChange((c) => {
        if (c.type === 'state') {
          if (c.state === 'synced') { this.synced.add(inf); vsoMissing.delete(inf); }
          if (c.state === 'error' && c.error) {
            if (this.vso.includes(inf) && c.error.code === 'NotFound') {
              vsoMissing.add(inf);
              if (vsoMissing.size === this.vso.length && !this.vsoNoted) {
                this.vsoNoted = true;
                this.log(`secrets: the Vault Secrets Operator's kinds are not served here; users may read no Secret`);
              }
            } else this.log(`watch: ${c.error.message}`);
          }
          this.onChange(inf, undefined);
          return;
        }
        this.onChange(inf, c.object);
      });
    }
    this.vsoMissing = vsoMissing;
    for (const inf of [...core, ...this.vso]) inf.start();
    const stopAll = () => { for (const inf of [...core, ...this.vso]) inf.stop(); };
    try {
      // A daemon waits (and logs) until it can list; --once gives up after a minute with the reason.
      const listed = () => core.every((i) => this.synced.has(i));
      await this.waitFor(listed, this.opts.once ? AbortSignal.any([signal, AbortSignal.timeout(60_000)]) : signal);
      if (signal.aborted) return;
      if (!listed()) {
        const failing = core.find((i) => i.error);
        throw failing?.error ?? new TerrariumError('Timeout', 'The controller could not list claims, pods and environments within 60 s.',
          'Check that the API server answers (terrarium status) and that the controller\'s Role is installed (terrarium platform install).');
      }
      this.log(`watching claims, pods and environments in namespace ${q(this.cluster.namespace)}`);
      if (this.opts.once) { await this.runOnce(); return; }
      if (this.opts.leaderElection === false) {
        const term = new AbortController();
        signal.addEventListener('abort', () => term.abort(), { once: true });
        this.startTerm(term.signal);
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      } else {
        const elector = new LeaderElector(this.cluster, { ...this.opts.leaderElection, identity: this.opts.identity, log: this.log, now: this.now });
        this.elector = elector;
        await elector.run(signal, (term) => this.startTerm(term));
      }
    } finally {
      stopAll();
      await this.term?.access.idle().catch(() => {});
      await Promise.allSettled([...this.pendingEvents]);
      this.log('stopped');
    }
  }

  private vsoMissing = new Set<Informer<any>>();
  private vsoNoted = false;
  elector: LeaderElector | undefined;

  get isLeader(): boolean { return this.term !== undefined && !this.term.ctx.signal.aborted; }

  /** Calls fn on every watch change (tests wait on it instead of sleeping). */
  onAnyChange(fn: () => void): () => void {
    this.changeListeners.add(fn);
    return () => { this.changeListeners.delete(fn); };
  }

  private waitFor(cond: () => boolean, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const check = () => { if (cond() || signal.aborted) { off(); resolve(); } };
      const off = this.onAnyChange(check);
      signal.addEventListener('abort', check, { once: true });
      check();
    });
  }

  private async runOnce(): Promise<void> {
    const { signal } = this.opts;
    // Wait (bounded) for the VSO kinds to answer: synced, or known not to be served.
    const vsoDeadline = AbortSignal.any([signal, AbortSignal.timeout(10_000)]);
    await this.waitFor(() => this.vso.every((i) => this.synced.has(i) || this.vsoMissing.has(i)), vsoDeadline);
    const elector = this.opts.leaderElection === false ? undefined : new LeaderElector(this.cluster, { ...this.opts.leaderElection, identity: this.opts.identity, log: this.log, now: this.now });
    const once = new AbortController();
    signal.addEventListener('abort', () => once.abort(), { once: true });
    if (!elector) {
      this.startTerm(once.signal);
      await this.converge();
      once.abort();
      return;
    }
    // Lead for one convergence: with a live leader elsewhere, say so instead of writing beside it.
    let led = false;
    let done: Promise<void> | undefined;
    elector.onHeld = () => { if (!led) once.abort(); };
    await elector.run(once.signal, (term) => {
      led = true;
      this.startTerm(term);
      done = this.converge().finally(() => once.abort());
    });
    if (!led && !signal.aborted) {
      throw new TerrariumError('Conflict', `The Lease ${elector.name} in namespace ${q(this.cluster.namespace)} is held by ${q(elector.holder ?? '')}, so --once did nothing.`,
        'A running controller keeps the grants itself. If that one is gone, its Lease runs out 15 s after its last renewal: run this again then.');
    }
    await done;
  }

  /** Reconciles everything once and waits for it, including the Events it records. */
  async converge(): Promise<void> {
    const t = this.term;
    if (!t) return;
    t.reseed = true;
    await t.access.kick();
    await Promise.all([...t.envs.keys()].map((env) => this.envSerial(env).kick()));
    await Promise.allSettled([...this.pendingEvents]);
  }

  private startTerm(signal: AbortSignal): void {
    const ctx: ControllerContext = {
      cluster: this.cluster, log: this.log, now: this.now, signal,
      event: (pod, reason, message, type) => this.event(signal, pod, reason, message, type),
    };
    const term: Term = { ctx, access: new Serial(() => this.syncAccess(term)), envs: new Map<string, Serial>(), envTimers: new Map(), reseed: true };
    this.term = term;
    const resync = setInterval(() => {
      term.reseed = true;
      void term.access.kick();
      for (const env of this.environments()) void this.envSerial(env).kick();
    }, this.opts.resyncMs ?? 30_000);
    resync.unref();
    signal.addEventListener('abort', () => {
      clearInterval(resync);
      for (const timer of term.envTimers.values()) clearTimeout(timer);
      if (this.term === term) this.term = undefined;
    }, { once: true });
    void term.access.kick();
    for (const env of this.environments()) void this.envSerial(env).kick();
  }

  private environments(): string[] {
    return this.statefulSets.list().filter((s) => s.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY).map((s) => s.metadata!.name!);
  }

  private onChange(inf: Informer<any>, obj: (KubernetesObject & Obj) | undefined): void {
    for (const l of [...this.changeListeners]) l();
    const t = this.term;
    if (!t || t.ctx.signal.aborted) return;
    void t.access.kick();
    const env = obj && (inf === this.statefulSets ? obj.metadata?.name : obj.metadata?.labels?.[LABEL_ENVIRONMENT]);
    if (env && this.reconcilers.length && this.environments().includes(env)) this.kickEnvSoon(t, env);
  }

  /**
   * Environment reconcilers read the API themselves (a few requests each): coalesce a burst of
   * changes into one run, 100 ms later, so the access writes a claim waits for go first.
   */
  private kickEnvSoon(t: Term, env: string): void {
    if (t.envTimers.has(env)) return;
    const timer = setTimeout(() => {
      t.envTimers.delete(env);
      if (!t.ctx.signal.aborted) void this.envSerial(env).kick();
    }, 100);
    timer.unref();
    t.envTimers.set(env, timer);
  }

  private envSerial(env: string): Serial {
    const t = this.term!;
    let s = t.envs.get(env);
    if (!s) {
      s = new Serial(async () => {
        for (const r of this.reconcilers) {
          if (t.ctx.signal.aborted) return;
          try { await r.run(t.ctx, env); } catch (e) {
            if (!t.ctx.signal.aborted) this.log(`${r.name} ${q(env)}: ${errText(e)}`);
          }
        }
      });
      t.envs.set(env, s);
    }
    return s;
  }

  private event(signal: AbortSignal, pod: { name: string; uid?: string }, reason: string, message: string, type?: 'Normal' | 'Warning'): Promise<void> {
    const p = recordEvent(this.cluster, this.opts.identity, { pod, reason, message, type }, this.now(), signal)
      .catch((e) => { if (!signal.aborted) this.log(`event ${reason} on pod ${q(pod.name)}: ${errText(e)}`); });
    this.pendingEvents.add(p);
    void p.finally(() => this.pendingEvents.delete(p));
    return p;
  }

  // ---- access ----

  private async syncAccess(term: Term): Promise<void> {
    const { signal } = term.ctx;
    for (let failures = 0; !signal.aborted; failures++) {
      try {
        if (term.reseed || !term.existing) {
          term.reseed = false;
          term.existing = await this.readExisting(signal);
        }
        const wanted = sandboxesByUser(holdings(this.pvcs.list(), this.pods.list(), this.statefulSets.list()));
        const changes = diffAccess(wanted, term.existing);
        // Users are independent: write them side by side (a few at a time).
        const queue = [...changes];
        await Promise.all(Array.from({ length: Math.min(8, queue.length) }, async () => {
          for (let c = queue.shift(); c; c = queue.shift()) await this.applyChange(term, c);
        }));
        await this.syncSecrets(term);
        return;
      } catch (e) {
        if (signal.aborted) return;
        term.reseed = true;
        const delay = Math.min(30_000, 500 * 2 ** failures);
        this.log(`access: ${errText(e)} (retrying in ${(delay / 1000).toFixed(1)} s)`);
        await sleep(delay, signal).catch(() => {});
      }
    }
  }

  private async readExisting(signal: AbortSignal): Promise<Map<string, ExistingAccess>> {
    const ns = this.cluster.namespace;
    const [roles, bindings] = await Promise.all([
      listOp(this.cluster, OPS.listRoles, (page, o) => this.cluster.rbac.listNamespacedRole({ namespace: ns, labelSelector: ACCESS_SELECTOR, ...page }, o), { signal }),
      listOp(this.cluster, OPS.listRoleBindings, (page, o) => this.cluster.rbac.listNamespacedRoleBinding({ namespace: ns, labelSelector: ACCESS_SELECTOR, ...page }, o), { signal }),
    ]);
    const existing = new Map<string, ExistingAccess>();
    const userOf = (o: { metadata?: { annotations?: Record<string, string> } }) => o.metadata?.annotations?.[ANNOTATION_USER] ?? '';
    for (const r of roles.items) {
      const name = r.metadata?.name;
      if (name?.startsWith(ACCESS_PREFIX)) existing.set(name, { user: userOf(r), sandboxes: grantedSandboxes(r), bound: false });
    }
    for (const b of bindings.items) {
      const name = b.metadata?.name;
      if (!name?.startsWith(ACCESS_PREFIX)) continue;
      const e = existing.get(name);
      if (e) e.bound = true;
      else existing.set(name, { user: userOf(b), sandboxes: [], bound: true });
    }
    return existing;
  }

  private async applyChange(term: Term, c: AccessChange): Promise<void> {
    const { signal } = term.ctx;
    const ns = this.cluster.namespace;
    const existing = term.existing!;
    const before = existing.get(c.name);
    if (c.sandboxes.length) {
      await this.apply(renderAccessRole(ns, c.user, c.sandboxes), signal);
      existing.set(c.name, { user: c.user, sandboxes: c.sandboxes, bound: before?.bound ?? false });
      if (!before?.bound) {
        // After the Role: binding a Role needs its rules to exist (RBAC escalation check).
        await this.apply(renderAccessBinding(ns, c.user), signal);
        existing.set(c.name, { user: c.user, sandboxes: c.sandboxes, bound: true });
      }
    } else {
      // Both at once: either one gone ends the access.
      await Promise.all([this.remove(OPS.deleteRoleBinding, c.name, signal), this.remove(OPS.deleteRole, c.name, signal)]);
      existing.delete(c.name);
    }
    const who = q(c.user);
    if (c.granted.length) this.log(`granted ${who} ${SUBRESOURCES_TEXT} on ${c.granted.join(', ')} (Role ${c.name})`);
    if (c.revoked.length) this.log(`revoked ${who} ${SUBRESOURCES_TEXT} on ${c.revoked.join(', ')}${c.sandboxes.length ? ` (Role ${c.name})` : ` (Role ${c.name} deleted)`}`);
    if (!c.granted.length && !c.revoked.length) this.log(`repaired Role ${c.name} of ${who}`);
    for (const s of c.granted) {
      void term.ctx.event({ name: s, uid: this.pods.get(s)?.metadata?.uid }, 'AccessGranted',
        `User ${who} was granted ${SUBRESOURCES_TEXT} on pod ${s} (holds its claim; Role ${c.name})`);
    }
    for (const s of c.revoked) {
      void term.ctx.event({ name: s, uid: this.pods.get(s)?.metadata?.uid }, 'AccessRevoked',
        `User ${who} no longer has ${SUBRESOURCES_TEXT} on pod ${s} (claim released${c.sandboxes.length ? '' : `; Role ${c.name} deleted`})`);
    }
  }

  /** Server-side apply as field manager terrarium-controller (force: these objects are the controller's). */
  private async apply(obj: RoleObject | RoleBindingObject, signal: AbortSignal): Promise<void> {
    const row = obj.kind === 'Role' ? OPS.applyAccessRole : OPS.applyAccessRoleBinding;
    const name = obj.metadata.name;
    this.writes++;
    await sendJson(this.cluster, row, { name }, 'APPLY', `${pathOf(row, this.cluster.namespace, name)}?fieldManager=${FIELD_MANAGER}&force=true`, obj, signal);
  }

  private async remove(row: typeof OPS.deleteRole | typeof OPS.deleteRoleBinding, name: string, signal: AbortSignal): Promise<void> {
    this.writes++;
    await ignoreNotFound(sendJson(this.cluster, row, { name }, 'DELETE', pathOf(row, this.cluster.namespace, name), undefined, signal));
  }

  // ---- secrets ----

  private async syncSecrets(term: Term): Promise<void> {
    // Only from complete caches: a kind that failed to list must not shrink the list (users would lose access).
    if (!this.vso.every((i) => this.synced.has(i) || this.vsoMissing.has(i))) return;
    const names = readableSecrets(this.vso.filter((i) => !this.vsoMissing.has(i)).flatMap((i) => i.list()));
    const key = names.join('\n');
    if (term.secrets === key) return;
    const ns = this.cluster.namespace;
    const { signal } = term.ctx;
    await this.apply(renderSecretsReadRole(ns, names), signal);
    if (term.secrets === undefined) await this.apply(renderSecretsReadBinding(ns), signal);
    term.secrets = key;
    this.log(`secrets: group terrarium-users may get ${names.length ? names.join(', ') : 'no Secret'} (Role terrarium-secrets-read)`);
  }
}

/** Runs the controller until signal aborts (or once). */
export async function runController(opts: ControllerOptions): Promise<void> {
  await new TerrariumController(opts).run();
}
