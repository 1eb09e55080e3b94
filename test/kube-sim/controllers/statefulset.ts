/**
 * The StatefulSet controller, after pkg/controller/statefulset (stateful_set_control.go,
 * stateful_set_utils.go) and the StatefulSet docs ("Rolling Updates", "Partitioned rolling
 * updates", "Pod Management Policies"):
 * - revisions: every distinct pod template is an apps/v1 ControllerRevision `<set>-<hash>` owned by
 *   the set, with data `{spec:{template:{…,$patch:replace}}}` and an increasing `revision`; going
 *   back to an earlier template re-uses its revision with a new number; history beyond
 *   revisionHistoryLimit is trimmed (never the current or update revision, nor one a pod uses);
 * - pods `<set>-<i>` labelled `controller-revision-hash`, created from the current revision below
 *   the partition and from the update revision otherwise; OrderedReady creates and removes one at a
 *   time waiting for Running and Ready, Parallel all at once;
 * - RollingUpdate replaces one pod at a time from the highest ordinal down to the partition, each
 *   waiting until the replaced pod is Running and Ready; OnDelete replaces only pods users delete;
 * - status: observedGeneration, replicas, readyReplicas, currentReplicas, updatedReplicas,
 *   currentRevision (moves to updateRevision when a RollingUpdate completes; not under OnDelete,
 *   as in the real controller), updateRevision;
 * - PVCs from volumeClaimTemplates (<template>-<set>-<i>), bound by the volume binder
 *   (controllers/volumes.ts); persistentVolumeClaimRetentionPolicy; a missing pod whose claim is
 *   Terminating is not created (FailedCreate "pvc <claim> is being deleted") until the claim is gone,
 *   then the claim is created anew from the template and the pod after it.
 */
import { podSecurityDenial } from '../apiserver/admission/plugins/podSecurity';
import type { KubeObject, OwnerReference } from '../machinery/types';
import { persistentvolumeclaims as pvcs, pods, statefulsets as sts } from '../registry';
import { controllerrevisions as revisions } from '../registry/apps';
import type { ResourceDef } from '../registry/types';
import type { Controller, ControllerContext } from './context';
import type { PodController } from './pods';
import { addPvcProtection, deleteClaim } from './pvcProtection';

export const REVISION_LABEL = 'controller-revision-hash';

const ownedBy = (o: KubeObject, owner: KubeObject) => o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid) ?? false;
const stsOwner = (o: KubeObject): OwnerReference | undefined => o.metadata.ownerReferences?.find((r) => r.kind === 'StatefulSet');
const isReady = (p: KubeObject) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ?? false;
/** isRunningAndReady and not terminating: what the controller waits for between steps. */
const healthy = (p: KubeObject) => p.status?.phase === 'Running' && isReady(p) && !p.metadata.deletionTimestamp;

/** FNV-1a 32 bit, as hashutil.DeepHashObject uses. */
function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s)) { h ^= b; h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}
/** k8s.io/apimachinery/pkg/util/rand.SafeEncodeString: no vowels, no look-alikes. */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
const safeEncode = (s: string) => [...s].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');

/** The revision data the real controller stores (getPatch): the template, replacing on apply. */
function revisionData(set: KubeObject): any {
  return { spec: { template: { ...structuredClone(set.spec.template ?? {}), $patch: 'replace' } } };
}

function templateOf(rev: KubeObject): any {
  const t = structuredClone(rev.data?.spec?.template ?? {});
  delete t.$patch;
  return t;
}

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  private queued = new Set<string>();
  /** Terminating claims already reported (ns/uid), as the event recorder would aggregate the retries. */
  private toldTerminating = new Set<string>();

  constructor(private readonly ctx: ControllerContext, private readonly podsCtl: PodController) {}

  onChange(e: { res: ResourceDef; type: string; object: KubeObject }): void {
    const o = e.object;
    if (e.res === sts && e.type !== 'DELETED') this.enqueue(o.metadata.namespace!, o.metadata.name);
    if (e.res === pods) {
      const owner = stsOwner(o);
      if (owner) this.enqueue(o.metadata.namespace!, owner.name);
    }
    // A claim that was Terminating is gone: the pod waiting for it can be created (the real
    // controller retries the failed sync with back-off).
    if (e.res === pvcs && e.type === 'DELETED') {
      this.toldTerminating.delete(`${o.metadata.namespace}/${o.metadata.uid}`);
      for (const set of this.ctx.store.list(sts, o.metadata.namespace)) {
        if ((set.spec?.volumeClaimTemplates ?? []).some((t: any) => o.metadata.name.startsWith(`${t.metadata?.name}-${set.metadata.name}-`))) this.enqueue(o.metadata.namespace!, set.metadata.name);
      }
    }
  }

  /** Reconciles are coalesced and run after the write that caused them, like a workqueue. */
  private enqueue(ns: string, name: string): void {
    const k = `${ns}/${name}`;
    if (this.queued.has(k)) return;
    this.queued.add(k);
    this.ctx.later(0, () => { this.queued.delete(k); this.reconcile(ns, name); });
  }

  reconcile(ns: string, name: string): void {
    const { store } = this.ctx;
    const set = store.get(sts, ns, name);
    if (!set || set.metadata.deletionTimestamp) return;
    const { current, update } = this.revisions(set);
    const replicas: number = set.spec.replicas ?? 1;
    const monotonic = set.spec.podManagementPolicy !== 'Parallel';
    const rolling = set.spec.updateStrategy?.type !== 'OnDelete';
    const partition: number = rolling ? set.spec.updateStrategy?.rollingUpdate?.partition ?? 0 : 0;
    const owned = store.list(pods, ns).filter((p) => ownedBy(p, set));
    const byOrdinal = new Map(owned.map((p) => [Number(p.metadata.name.slice(name.length + 1)), p]));

    const done = () => { this.updateStatus(ns, name); this.truncateHistory(set, current, update); };
    // Replicas in [0, replicas): create what is missing, lowest first.
    for (let i = 0; i < replicas; i++) {
      const p = byOrdinal.get(i);
      if (!p) {
        // createPersistentVolumeClaims (stateful_pod_control.go): a claim being deleted refuses the pod.
        if (!this.ensureClaims(set, i)) { if (monotonic) return done(); continue; }
        // newVersionedStatefulSetPod: below the partition from the current revision, else the update revision.
        const rev = rolling && i < partition ? current : update;
        this.createPod(set, i, rev);
        if (monotonic) return done();
        continue;
      }
      if (monotonic && !healthy(p)) return done();
    }
    // Condemned replicas (ordinal >= replicas): highest first; OrderedReady one at a time.
    const condemned = [...byOrdinal.entries()].filter(([i]) => i >= replicas).sort((a, b) => b[0] - a[0]);
    for (const [ordinal, p] of condemned) {
      if (p.metadata.deletionTimestamp) { if (monotonic) return done(); continue; }
      this.deletePod(set, p);
      if (set.spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
        for (const t of set.spec.volumeClaimTemplates ?? []) this.tryDeletePvc(ns, `${t.metadata.name}-${name}-${ordinal}`);
      }
      if (monotonic) return done();
    }
    // RollingUpdate: replace the highest-ordinal pod not at the update revision, one at a time,
    // waiting for each replaced pod to be Running and Ready; stop at the partition.
    if (rolling) {
      for (let target = replicas - 1; target >= partition; target--) {
        const p = byOrdinal.get(target);
        if (!p) break;
        if (p.metadata.labels?.[REVISION_LABEL] !== update.metadata.name && !p.metadata.deletionTimestamp) {
          this.deletePod(set, p);
          break;
        }
        if (!healthy(p)) break;
      }
    }
    done();
  }

  /** getStatefulSetRevisions: the update revision for the set's template (created or re-used) and the current one. */
  private revisions(set: KubeObject): { current: KubeObject; update: KubeObject } {
    const { store } = this.ctx;
    const ns = set.metadata.namespace!;
    const history = store.list(revisions, ns).filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === set.metadata.uid && o.controller))
      .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
    const data = revisionData(set);
    const key = JSON.stringify(data);
    const max = history.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
    let update = [...history].reverse().find((r) => JSON.stringify(r.data) === key);
    if (update && update !== history[history.length - 1]) {
      // An earlier template came back (rollout undo): its revision gets the next number.
      update.revision = max + 1;
      update = store.update(revisions, update, { checkVersion: false });
    }
    if (!update) {
      const collisionCount: number = set.status?.collisionCount ?? 0;
      const name = `${set.metadata.name}-${safeEncode(String(fnv32a(key + String(collisionCount || ''))))}`.slice(0, 253);
      const existing = store.get(revisions, ns, name);
      update = existing ?? store.create(revisions, {
        apiVersion: 'apps/v1', kind: 'ControllerRevision',
        metadata: {
          name, namespace: ns, labels: { ...(set.spec.template?.metadata?.labels ?? {}), [REVISION_LABEL]: name },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        data, revision: max + 1,
      });
    }
    const current: KubeObject = history.find((r) => r.metadata.name === set.status?.currentRevision) ?? update!;
    return { current, update: update! };
  }

  private truncateHistory(set: KubeObject, current: KubeObject, update: KubeObject): void {
    const { store } = this.ctx;
    const ns = set.metadata.namespace!;
    const limit: number = set.spec.revisionHistoryLimit ?? 10;
    const live = new Set(store.list(pods, ns).filter((p) => ownedBy(p, set)).map((p) => p.metadata.labels?.[REVISION_LABEL]));
    const old = store.list(revisions, ns)
      .filter((r) => ownedBy(r, set) && r.metadata.name !== current.metadata.name && r.metadata.name !== update.metadata.name && !live.has(r.metadata.name))
      .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
    for (const r of old.slice(0, Math.max(0, old.length - limit))) {
      try { store.delete(revisions, ns, r.metadata.name); } catch {}
    }
  }

  /**
   * createPersistentVolumeClaims: missing claims are created (with the pvc-protection finalizer the
   * admission plugin adds); a claim with a deletionTimestamp is an error, recorded as the pod
   * create's FailedCreate event (once per claim), and the pod is not created until the claim is gone.
   */
  private ensureClaims(set: KubeObject, i: number): boolean {
    const { store } = this.ctx;
    const ns = set.metadata.namespace!, name = set.metadata.name;
    const terminating: string[] = [];
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const claim = `${t.metadata.name}-${name}-${i}`;
      const cur = store.get(pvcs, ns, claim);
      if (cur) {
        if (cur.metadata.deletionTimestamp) {
          terminating.push(claim);
          const k = `${ns}/${cur.metadata.uid}`;
          if (!this.toldTerminating.has(k)) {
            this.toldTerminating.add(k);
            this.ctx.event(ns, set, 'Warning', 'FailedCreate', `create Pod ${name}-${i} in StatefulSet ${name} failed error: pvc ${claim} is being deleted`);
          }
        }
        continue;
      }
      const obj = {
        apiVersion: 'v1', kind: 'PersistentVolumeClaim',
        metadata: { name: claim, namespace: ns, labels: { ...(t.metadata.labels ?? {}), ...(set.spec.selector?.matchLabels ?? {}) } as Record<string, string>, finalizers: [] as string[] },
        spec: structuredClone(t.spec ?? {}),
        status: { phase: 'Pending' },
      };
      addPvcProtection(obj);
      // The claim create passes admission as the controller's ServiceAccount; a refusal is the two
      // events createPersistentVolumeClaims and CreateStatefulPod record, and no pod.
      try {
        this.ctx.admit?.({ operation: 'CREATE', resource: pvcs, namespace: ns, name: claim, object: obj, controller: 'statefulset-controller' });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.ctx.event(ns, set, 'Warning', 'FailedCreate', `create Claim ${claim} for Pod ${name}-${i} in StatefulSet ${name} failed error: ${msg}`);
        this.ctx.event(ns, set, 'Warning', 'FailedCreate', `create Pod ${name}-${i} in StatefulSet ${name} failed error: failed to create PVC ${claim}: ${msg}`);
        terminating.push(claim);
        continue;
      }
      this.ctx.event(ns, set, 'Normal', 'SuccessfulCreate', `create Claim ${claim} Pod ${name}-${i} in StatefulSet ${name} success`);
      store.create(pvcs, obj);
    }
    return terminating.length === 0;
  }

  private createPod(set: KubeObject, i: number, rev: KubeObject): void {
    const ns = set.metadata.namespace;
    const tpl = templateOf(rev);
    const podName = `${set.metadata.name}-${i}`;
    const volumes = [...(tpl.spec?.volumes ?? [])];
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      volumes.push({ name: t.metadata.name, persistentVolumeClaim: { claimName: `${t.metadata.name}-${set.metadata.name}-${i}` } });
    }
    // Pod creates go through PodSecurity admission as the real controller's do: a refusal is a FailedCreate event.
    const refused = podSecurityDenial(this.ctx.store, ns!, { metadata: { ...tpl.metadata, name: podName }, spec: { ...(tpl.spec ?? {}), volumes } });
    if (refused) return this.ctx.event(ns!, set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${refused.message}`);
    this.ctx.store.create(pods, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name: podName, namespace: ns,
        labels: { ...(tpl.metadata?.labels ?? {}), [REVISION_LABEL]: rev.metadata.name, 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(i) },
        annotations: tpl.metadata?.annotations,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...(tpl.spec ?? {}), volumes, hostname: podName, subdomain: set.spec.serviceName },
      status: { phase: 'Pending' },
    });
    this.ctx.event(ns!, set, 'Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} successful`);
  }

  private deletePod(set: KubeObject, p: KubeObject): void {
    this.podsCtl.terminatePod(p.metadata.namespace!, p.metadata.name);
    this.ctx.event(set.metadata.namespace!, set, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }

  updateStatus(ns: string, name: string): void {
    const { store } = this.ctx;
    const set = store.get(sts, ns, name);
    if (!set) return;
    const live = store.list(pods, ns).filter((p) => ownedBy(p, set) && !p.metadata.deletionTimestamp);
    const ready = live.filter(isReady).length;
    const { current, update } = this.peekRevisions(set);
    let currentRevision = current, currentReplicas = live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === current).length;
    const updatedReplicas = live.filter((p) => p.metadata.labels?.[REVISION_LABEL] === update).length;
    // completeRollingUpdate: every replica updated and ready moves the current revision.
    const replicas = live.length;
    if (set.spec.updateStrategy?.type !== 'OnDelete' && updatedReplicas === replicas && ready === replicas && replicas === (set.spec.replicas ?? 1)) {
      currentRevision = update;
      currentReplicas = updatedReplicas;
    }
    const status = {
      observedGeneration: set.metadata.generation, replicas, readyReplicas: ready, currentReplicas, updatedReplicas,
      currentRevision, updateRevision: update, collisionCount: set.status?.collisionCount ?? 0, availableReplicas: ready,
    };
    if (JSON.stringify(status) === JSON.stringify(set.status)) return;
    set.status = status;
    store.update(sts, set, { statusOnly: true, checkVersion: false });
  }

  /** The current and update revision names without writing anything (the update revision is the newest). */
  private peekRevisions(set: KubeObject): { current: string; update: string } {
    const owned = this.ctx.store.list(revisions, set.metadata.namespace).filter((r) => ownedBy(r, set)).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
    const update = owned[0]?.metadata.name ?? '';
    const current = owned.some((r) => r.metadata.name === set.status?.currentRevision) ? set.status.currentRevision : update;
    return { current, update };
  }

  /** After a StatefulSet is deleted (not orphaning): PVCs go too when whenDeleted is Delete. */
  onDeleted(set: KubeObject): void {
    if (set.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted !== 'Delete') return;
    for (let i = 0; i < (set.spec.replicas ?? 0) + 50; i++) {
      for (const t of set.spec.volumeClaimTemplates ?? []) this.tryDeletePvc(set.metadata.namespace!, `${t.metadata.name}-${set.metadata.name}-${i}`);
    }
  }

  private tryDeletePvc(ns: string, name: string): void {
    try { deleteClaim(this.ctx.store, ns, name); } catch {}
  }
}
