/**
 * The StatefulSet controller: ordinal pods <name>-<i>, PVCs from volumeClaimTemplates
 * (<template>-<name>-<i>; storage class "slow" or "missing" stays Pending), scale down from the
 * highest ordinals, persistentVolumeClaimRetentionPolicy, and status (replicas, readyReplicas, ...).
 * Not yet: revisions and rolling updates (issue 10, section 1).
 */
import { podSecurityDenial } from '../apiserver/admission/plugins/podSecurity';
import { nowRfc3339, type KubeObject, type OwnerReference } from '../machinery/types';
import { persistentvolumeclaims as pvcs, pods, statefulsets as sts } from '../registry';
import type { ResourceDef } from '../registry/types';
import type { Controller, ControllerContext } from './context';
import type { PodController } from './pods';

const ownedBy = (o: KubeObject, owner: KubeObject) => o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid) ?? false;
const stsOwner = (o: KubeObject): OwnerReference | undefined => o.metadata.ownerReferences?.find((r) => r.kind === 'StatefulSet');

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';

  constructor(private readonly ctx: ControllerContext, private readonly podsCtl: PodController) {}

  onChange(e: { res: ResourceDef; type: string; object: KubeObject }): void {
    const o = e.object;
    if (e.res === sts && e.type !== 'DELETED') this.reconcile(o.metadata.namespace!, o.metadata.name);
    if (e.res === pods && e.type === 'DELETED') {
      const owner = stsOwner(o);
      if (owner) this.ctx.later(50, () => this.reconcile(o.metadata.namespace!, owner.name));
    }
    if (e.res === pods && e.type === 'MODIFIED') {
      const owner = stsOwner(o);
      if (owner) this.updateStatus(o.metadata.namespace!, owner.name);
    }
  }

  reconcile(ns: string, name: string): void {
    const { store } = this.ctx;
    const set = store.get(sts, ns, name);
    if (!set || set.metadata.deletionTimestamp) return;
    const replicas: number = set.spec.replicas ?? 1;
    const owned = store.list(pods, ns).filter((p) => ownedBy(p, set));
    const have = new Map(owned.map((p) => [p.metadata.name, p]));
    for (let i = 0; i < replicas; i++) {
      const podName = `${name}-${i}`;
      for (const t of set.spec.volumeClaimTemplates ?? []) {
        const claim = `${t.metadata.name}-${name}-${i}`;
        if (!store.get(pvcs, ns, claim)) {
          const cls = t.spec?.storageClassName;
          const bound = cls !== 'slow' && cls !== 'missing';
          const pvc = store.create(pvcs, {
            apiVersion: 'v1', kind: 'PersistentVolumeClaim',
            metadata: { name: claim, namespace: ns, labels: { ...(t.metadata.labels ?? {}), ...(set.spec.selector?.matchLabels ?? {}) } },
            spec: { ...structuredClone(t.spec), volumeName: bound ? `pv-${claim}` : undefined },
            status: { phase: bound ? 'Bound' : 'Pending', ...(bound ? { accessModes: t.spec?.accessModes, capacity: t.spec?.resources?.requests } : {}) },
          });
          if (!bound) this.ctx.event(ns, pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
        }
      }
      if (!have.has(podName)) this.createPod(set, i);
    }
    for (const p of owned) {
      const ordinal = Number(p.metadata.name.slice(name.length + 1));
      if (ordinal >= replicas && !p.metadata.deletionTimestamp) {
        this.podsCtl.terminatePod(ns, p.metadata.name);
        if (set.spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
          for (const t of set.spec.volumeClaimTemplates ?? []) this.tryDeletePvc(ns, `${t.metadata.name}-${name}-${ordinal}`);
        }
      }
    }
    this.updateStatus(ns, name);
  }

  private createPod(set: KubeObject, i: number): void {
    const ns = set.metadata.namespace;
    const tpl = structuredClone(set.spec.template ?? {});
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
        labels: { ...(tpl.metadata?.labels ?? {}), 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(i) },
        annotations: tpl.metadata?.annotations,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name, uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...(tpl.spec ?? {}), volumes, hostname: podName, subdomain: set.spec.serviceName, nodeName: 'kube-sim-node' },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: nowRfc3339() }] },
    });
  }

  updateStatus(ns: string, name: string): void {
    const { store } = this.ctx;
    const set = store.get(sts, ns, name);
    if (!set) return;
    const live = store.list(pods, ns).filter((p) => ownedBy(p, set) && !p.metadata.deletionTimestamp);
    const ready = live.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
    const status = {
      observedGeneration: set.metadata.generation, replicas: live.length, readyReplicas: ready, availableReplicas: ready,
      currentReplicas: live.length, updatedReplicas: live.length, currentRevision: `${name}-1`, updateRevision: `${name}-1`, collisionCount: 0,
    };
    if (JSON.stringify(status) === JSON.stringify(set.status)) return;
    set.status = status;
    store.update(sts, set, { statusOnly: true, checkVersion: false });
  }

  /** After a StatefulSet is deleted (not orphaning): PVCs go too when whenDeleted is Delete. */
  onDeleted(set: KubeObject): void {
    if (set.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted !== 'Delete') return;
    for (let i = 0; i < (set.spec.replicas ?? 0) + 50; i++) {
      for (const t of set.spec.volumeClaimTemplates ?? []) this.tryDeletePvc(set.metadata.namespace!, `${t.metadata.name}-${set.metadata.name}-${i}`);
    }
  }

  private tryDeletePvc(ns: string, name: string): void {
    try { this.ctx.store.delete(pvcs, ns, name); } catch {}
  }
}
