/**
 * Leader election with a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * - the leader renews every retryPeriod; a follower takes over only after it has seen the same
 *   record unchanged for leaseDurationSeconds by its own clock (never the leader's timestamps:
 *   clocks differ), or at once when the holder is empty (released);
 * - every write carries the resourceVersion read, so of two candidates exactly one wins (409);
 * - a leader that cannot renew within renewDeadline, or finds another holder, stops leading: its
 *   term's AbortSignal aborts and every write of the controller stops;
 * - on shutdown the leader releases the Lease (empty holder), so a standby takes over at once.
 * Defaults are client-go's: 15 s lease, 10 s renew deadline, 2 s retry period.
 */
import type { Cluster } from '../kube/cluster';
import { isTerrariumError } from '../kube/errors';
import { OPS, pathOf } from '../kube/ops';
import { sleep } from '../kube/retry';
import { microTime, sendJson } from './http';

export interface LeaderOptions {
  /** The Lease's name (default terrarium-controller). */
  name?: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log?: (line: string) => void;
  now?: () => Date;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}
interface Lease { metadata: { name: string; namespace?: string; resourceVersion?: string }; spec?: LeaseSpec }

type Attempt = 'leading' | 'held' | 'failed' | 'unsupported';

export class LeaderElector {
  readonly name: string;
  private readonly durationS: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly log: (line: string) => void;
  private readonly now: () => Date;
  private observed: { key: string; at: number } | undefined;
  private leading = false;
  private lastRenew = 0;
  private lease: Lease | undefined;
  /** The holder last seen, for status lines. */
  holder: string | undefined;
  /** Called after a round that found another replica holding the Lease. */
  onHeld: (() => void) | undefined;

  constructor(private readonly cluster: Cluster, private readonly opts: LeaderOptions) {
    this.name = opts.name ?? 'terrarium-controller';
    this.durationS = opts.leaseDurationSeconds ?? 15;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    this.log = opts.log ?? (() => {});
    this.now = opts.now ?? (() => new Date());
  }

  get isLeader(): boolean { return this.leading; }


  /**
   * Campaigns until `signal` aborts. onLead gets a signal per term, aborted when the term ends
   * (lost lease or shutdown). Without the Lease API (an emulator lacking it) it leads alone, and says so.
   */
  async run(signal: AbortSignal, onLead: (term: AbortSignal) => void): Promise<void> {
    let term: AbortController | undefined;
    const stop = (why: string) => {
      if (!this.leading) return;
      this.leading = false;
      this.log(`leader: stopped leading (${why}); no more writes from this replica`);
      term?.abort();
    };
    try {
      while (!signal.aborted) {
        const r = await this.attempt(signal);
        if (signal.aborted) break;
        if (r === 'unsupported') {
          this.log(`leader: this API server does not serve coordination.k8s.io/v1 leases; running without leader election (run one replica only)`);
          this.leading = true;
          term = new AbortController();
          onLead(term.signal);
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          break;
        }
        if (r === 'leading') {
          this.lastRenew = Date.now();
          if (!this.leading) {
            this.leading = true;
            term = new AbortController();
            this.log(`leader: acquired lease ${this.name} as ${JSON.stringify(this.opts.identity)}`);
            onLead(term.signal);
          }
        } else if (r === 'held') {
          this.onHeld?.();
          stop(`lease ${this.name} is held by ${JSON.stringify(this.holder ?? '')}`);
        } else if (this.leading && Date.now() - this.lastRenew > this.renewDeadlineMs) {
          stop(`could not renew lease ${this.name} for ${Math.round(this.renewDeadlineMs / 1000)} s`);
        }
        // Followers retry with jitter (client-go: JitterFactor 1.2), so candidates do not collide.
        const wait = this.leading ? this.retryMs : this.retryMs * (1 + Math.random() * 0.2);
        await sleep(wait, signal).catch(() => {});
      }
    } finally {
      const wasLeading = this.leading;
      this.leading = false;
      term?.abort();
      if (wasLeading && this.lease) await this.release();
    }
  }

  /** One acquire-or-renew round: GET the Lease, then create it, renew it, or take it over. */
  private async attempt(signal: AbortSignal): Promise<Attempt> {
    const req = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1000, this.renewDeadlineMs / 2))]);
    const ns = this.cluster.namespace;
    const target = { name: this.name };
    const now = this.now();
    const mine = (spec: LeaseSpec | undefined, transitions: number, acquired?: string | null): LeaseSpec => ({
      holderIdentity: this.opts.identity, leaseDurationSeconds: this.durationS,
      acquireTime: acquired ?? microTime(now), renewTime: microTime(now), leaseTransitions: transitions,
    });
    let current: Lease;
    try {
      current = await sendJson<Lease>(this.cluster, OPS.readLease, target, 'GET', pathOf(OPS.readLease, ns, this.name), undefined, req, 0);
    } catch (e) {
      if (!isTerrariumError(e, 'NotFound')) return this.failed(e);
      try {
        this.lease = await sendJson<Lease>(this.cluster, OPS.createLease, target, 'POST', pathOf(OPS.createLease, ns), {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.cluster.namespace }, spec: mine(undefined, 0),
        }, req, 0);
        this.holder = this.opts.identity;
        return 'leading';
      } catch (e2) {
        // A create that is NotFound too: the server has no Lease kind at all.
        if (isTerrariumError(e2, 'NotFound')) return 'unsupported';
        if (isTerrariumError(e2, 'AlreadyExists') || isTerrariumError(e2, 'Conflict')) return 'held';
        return this.failed(e2);
      }
    }
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    this.holder = holder;
    // The record's identity: any change restarts the follower's own clock.
    const key = JSON.stringify([holder, spec.renewTime, spec.acquireTime, spec.leaseTransitions, current.metadata.resourceVersion]);
    if (this.observed?.key !== key) this.observed = { key, at: Date.now() };
    const duration = (spec.leaseDurationSeconds ?? this.durationS) * 1000;
    if (holder && holder !== this.opts.identity && this.observed.at + duration > Date.now()) return 'held';
    const ours = holder === this.opts.identity;
    const next: Lease = {
      ...current,
      spec: { ...spec, ...mine(spec, (spec.leaseTransitions ?? 0) + (ours ? 0 : 1), ours ? spec.acquireTime : undefined) },
    };
    try {
      this.lease = await sendJson<Lease>(this.cluster, OPS.updateLease, target, 'PUT', pathOf(OPS.updateLease, ns, this.name), next, req, 0);
      if (!ours) this.log(`leader: took over lease ${this.name}${holder ? ` from ${JSON.stringify(holder)} (not renewed for ${Math.round(duration / 1000)} s)` : ' (released)'}`);
      this.holder = this.opts.identity;
      return 'leading';
    } catch (e) {
      // Someone else wrote it first (409): they lead; we look again next round.
      if (isTerrariumError(e, 'Conflict')) return ours ? 'failed' : 'held';
      return this.failed(e);
    }
  }

  private failed(e: unknown): Attempt {
    if (isTerrariumError(e, 'Cancelled')) return 'failed';
    this.log(`leader: lease ${this.name}: ${isTerrariumError(e) ? e.message : String(e)}`);
    return 'failed';
  }

  /** Gives the Lease up (empty holder, 1 s), as client-go's ReleaseOnCancel, so a standby leads at once. */
  private async release(): Promise<void> {
    const lease = this.lease!;
    const now = microTime(this.now());
    try {
      await sendJson(this.cluster, OPS.updateLease, { name: this.name }, 'PUT', pathOf(OPS.updateLease, this.cluster.namespace, this.name), {
        ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      }, AbortSignal.timeout(3000), 0);
      this.log(`leader: released lease ${this.name}`);
    } catch (e) {
      this.log(`leader: could not release lease ${this.name} (a standby takes over after ${this.durationS} s): ${isTerrariumError(e) ? e.message : String(e)}`);
    }
  }
}
