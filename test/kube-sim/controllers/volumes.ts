/**
 * The PersistentVolume binder with a dynamic provisioner, as far as pods need it
 * (pkg/controller/volume/persistentvolume; docs "Storage Classes", "Dynamic Volume Provisioning"):
 * - a claim's class is spec.storageClassName, or the default class (annotation
 *   storageclass.kubernetes.io/is-default-class) when unset; kube-sim starts with one default
 *   class, `standard` (Immediate binding), as local clusters do;
 * - a class that does not exist: the claim stays Pending with a Warning ProvisioningFailed event
 *   `storageclass.storage.k8s.io "<class>" not found`, and binds once the class is created;
 * - volumeBindingMode WaitForFirstConsumer: the claim stays Pending (Normal WaitForFirstConsumer
 *   event) until the scheduler places a pod that uses it (bindForPod);
 * - Immediate: provisioned and Bound at once (volumeName pvc-<uid>, capacity = request).
 */
import type { KubeObject } from '../machinery/types';
import { persistentvolumeclaims as pvcs } from '../registry';
import { storageclasses } from '../registry/others';
import type { ResourceDef } from '../registry/types';
import type { Store } from '../storage/store';
import type { Controller, ControllerContext } from './context';

const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

/** The class every cluster of kube-sim starts with. */
export function ensureDefaultStorageClass(store: Store): void {
  if (store.get(storageclasses, undefined, 'standard')) return;
  store.create(storageclasses, {
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
    metadata: { name: 'standard', annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: 'kube-sim.io/hostpath', reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', allowVolumeExpansion: true,
  });
}

export class VolumeBinder implements Controller {
  readonly name = 'volumes';
  /** Claims already told about (event once per claim and cause, as the binder's event recorder de-duplicates). */
  private told = new Map<string, string>();

  constructor(private readonly ctx: ControllerContext) {}

  onChange(e: { res: ResourceDef; type: string; object: KubeObject }): void {
    // After the write that caused it, so watchers see the claim's ADDED before the binder's writes.
    if (e.res === pvcs && e.type !== 'DELETED') { const o = e.object; this.ctx.later(0, () => this.sync(o.metadata.namespace!, o.metadata.name)); }
    if (e.res === pvcs && e.type === 'DELETED') this.told.delete(e.object.metadata.uid);
    if (e.res === storageclasses && e.type !== 'DELETED') {
      this.ctx.later(0, () => { for (const c of this.ctx.store.list(pvcs)) if (c.status?.phase !== 'Bound') this.sync(c.metadata.namespace!, c.metadata.name); });
    }
  }

  /** The class a claim uses, or undefined (with the name it asked for) when it does not exist. */
  classOf(claim: KubeObject): { name: string | undefined; cls: KubeObject | undefined } {
    const asked: string | undefined = claim.spec?.storageClassName;
    if (asked === '') return { name: '', cls: undefined };
    if (asked === undefined) {
      const cls = this.ctx.store.list(storageclasses).find((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
      return { name: cls?.metadata.name, cls };
    }
    return { name: asked, cls: this.ctx.store.get(storageclasses, undefined, asked) };
  }

  /** Whether the scheduler must wait for this claim (unbound and not WaitForFirstConsumer). */
  blocksScheduling(claim: KubeObject): boolean {
    if (claim.status?.phase === 'Bound') return false;
    const { cls } = this.classOf(claim);
    return cls?.volumeBindingMode !== 'WaitForFirstConsumer';
  }

  private sync(ns: string, name: string): void {
    const claim = this.ctx.store.get(pvcs, ns, name);
    if (!claim || claim.metadata.deletionTimestamp || claim.status?.phase === 'Bound') return;
    const { name: className, cls } = this.classOf(claim);
    if (!cls) {
      if (className) this.tell(claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      else if (className === undefined) this.tell(claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
      this.setPending(claim);
      return;
    }
    if (cls.volumeBindingMode === 'WaitForFirstConsumer') {
      this.tell(claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      this.setPending(claim);
      return;
    }
    this.bind(claim, cls);
  }

  /** The scheduler placed a pod using this claim (WaitForFirstConsumer): provision and bind now. */
  bindForPod(ns: string, name: string): void {
    const claim = this.ctx.store.get(pvcs, ns, name);
    if (!claim || claim.status?.phase === 'Bound') return;
    const { cls } = this.classOf(claim);
    if (cls) this.bind(claim, cls);
  }

  private bind(claim: KubeObject, cls: KubeObject): void {
    const { store } = this.ctx;
    const volume = `pvc-${claim.metadata.uid}`;
    const ns = claim.metadata.namespace!;
    this.ctx.event(ns, claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${volume}`);
    claim.spec = { ...claim.spec, volumeName: volume, storageClassName: cls.metadata.name };
    claim.metadata.annotations = { ...(claim.metadata.annotations ?? {}), 'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/storage-provisioner': cls.provisioner };
    const spec = store.update(pvcs, claim, { checkVersion: false });
    spec.status = { phase: 'Bound', accessModes: claim.spec?.accessModes, capacity: claim.spec?.resources?.requests };
    store.update(pvcs, spec, { statusOnly: true, checkVersion: false });
  }

  private setPending(claim: KubeObject): void {
    if (claim.status?.phase === 'Pending') return;
    claim.status = { phase: 'Pending' };
    this.ctx.store.update(pvcs, claim, { statusOnly: true, checkVersion: false });
  }

  private tell(claim: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const k = `${reason}:${message}`;
    if (this.told.get(claim.metadata.uid) === k) return;
    this.told.set(claim.metadata.uid, k);
    this.ctx.event(claim.metadata.namespace!, claim, type, reason, message);
  }
}
