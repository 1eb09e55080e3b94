import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { audited } from '../audit/auditor';
import { kubeOp, VSO_OPS } from '../kube/ops';
import { requestJson } from '../kube/request';
import { vsoPath, type VsoKind, type VsoObject } from './vsoResources';

/**
 * Resync: a merge patch of one annotation makes the operator reconcile at once (its predicates
 * react to annotation changes). Not a documented VSO API, so it is pinned by a test against the
 * stand-in and the panel says so. On dynamic and PKI secrets it issues new credentials.
 */
export const ANNOTATION_RESYNC = 'terrarium.dev/resync-requested-at';

/** The patch row of a VSO secret kind; other kinds (VaultAuth, VaultConnection) have nothing to resync. */
function resyncRow(kind: VsoKind) {
  const ops = VSO_OPS[kind];
  if (!('resync' in ops)) throw new TerrariumError('InvalidInput', `A ${kind} cannot be resynced.`, 'Resync a VaultStaticSecret, VaultDynamicSecret or VaultPKISecret.');
  return ops.resync;
}

export interface ResyncRequest { requestedAt: string; resourceVersion: string }

const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export async function requestResync(cluster: Cluster, kind: VsoKind, name: string, now = new Date(), signal?: AbortSignal): Promise<ResyncRequest> {
  return audited(cluster, { action: 'resync', target: `${kind}/${name}` }, () => resyncOp(cluster, kind, name, now, signal));
}

async function resyncOp(cluster: Cluster, kind: VsoKind, name: string, now: Date, signal?: AbortSignal): Promise<ResyncRequest> {
  const requestedAt = isoSeconds(now);
  const obj = await kubeOp(cluster, resyncRow(kind), { name },
    () => requestJson<VsoObject>(cluster.kc, { method: 'PATCH', path: vsoPath(cluster.namespace, kind, name), body: { metadata: { annotations: { [ANNOTATION_RESYNC]: requestedAt } } }, signal }),
    { signal });
  return { requestedAt, resourceVersion: obj.metadata?.resourceVersion ?? '' };
}

/**
 * Healthy's time has seconds precision and a same-second reconcile writes nothing new, so a
 * request goes out in a later second than the last check: the reconcile it causes is then visible.
 */
export async function waitPastLastCheck(obj: VsoObject, now = Date.now()): Promise<void> {
  const conds: { type: string; lastTransitionTime?: string }[] = obj.status?.conditions ?? [];
  const checked = conds.find((c) => c.type === 'Healthy')?.lastTransitionTime;
  const wait = checked ? Date.parse(checked) + 1000 - now : 0;
  if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 1000)));
}

/**
 * The operator has looked again: the object was written after our patch and Healthy (or Ready),
 * stamped on every reconcile, is not older than the request (both have seconds precision).
 */
export function isReconciled(obj: VsoObject, req: ResyncRequest): boolean {
  if (!obj.metadata.resourceVersion || obj.metadata.resourceVersion === req.resourceVersion) return false;
  const conds: { type: string; lastTransitionTime?: string }[] = obj.status?.conditions ?? [];
  const t = (conds.find((c) => c.type === 'Healthy') ?? conds.find((c) => c.type === 'Ready'))?.lastTransitionTime;
  return !!t && Date.parse(t) >= Date.parse(req.requestedAt);
}

/** At most one resync per secret per interval: each one may mint credentials in Vault. */
export class ResyncLimiter {
  private readonly last = new Map<string, number>();
  constructor(private readonly intervalMs = 30_000, private readonly clock: () => number = Date.now) {}

  /** Throws a TerrariumError saying how long to wait; otherwise records the attempt. */
  take(key: string): void {
    const now = this.clock();
    const prev = this.last.get(key);
    if (prev !== undefined && now - prev < this.intervalMs) {
      const wait = Math.ceil((this.intervalMs - (now - prev)) / 1000);
      throw new TerrariumError('TooManyRequests', `A resync of ${key} was requested ${Math.round((now - prev) / 1000)} s ago.`, `Wait ${wait} s before asking again: each resync makes the operator call Vault.`);
    }
    this.last.set(key, now);
  }
}
