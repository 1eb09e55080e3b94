/**
 * PVC protection (docs "Persistent Volumes", Storage Object in Use Protection): every claim gets the
 * finalizer `kubernetes.io/pvc-protection` when created (the StorageObjectInUseProtection admission
 * plugin: apiserver/admission/plugins/storageObjectInUseProtection.ts, and the StatefulSet
 * controller's claims here); a claim deleted while a pod uses it keeps a deletionTimestamp
 * (Terminating) and goes once no pod uses it. "Uses" is pkg/controller/volume/pvcprotection
 * podUsesPVC: a scheduled pod (spec.nodeName set) with a volume naming the claim, until the pod
 * object is gone (terminating pods included). Removing the finalizer is an UPDATE by
 * system:serviceaccount:kube-system:pvc-protection-controller through admission: a policy that
 * refuses it keeps the claim Terminating (retried every second).
 */
import type { KubeObject } from '../machinery/types';
import { persistentvolumeclaims as pvcs, pods } from '../registry';
import type { ResourceDef } from '../registry/types';
import type { Store } from '../storage/store';
import type { Controller, ControllerContext } from './context';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';

/** What the admission plugin adds on create. */
export function addPvcProtection(obj: { metadata?: { finalizers?: string[] } }): void {
  obj.metadata ??= {};
  const f = obj.metadata.finalizers ?? [];
  if (!f.includes(PVC_PROTECTION_FINALIZER)) obj.metadata.finalizers = [...f, PVC_PROTECTION_FINALIZER];
}

export const podUsesClaim = (pod: KubeObject, claim: string) => !!pod.spec?.nodeName
  && (pod.spec?.volumes ?? []).some((v: any) => v.persistentVolumeClaim?.claimName === claim);

/** A claim deleted by a controller: Terminating while it has finalizers, gone otherwise (genericregistry Store.Delete). */
export function deleteClaim(store: Store, ns: string, name: string): void {
  const c = store.find(pvcs, ns, name);
  if (!c) return;
  if (!c.metadata.finalizers?.length) { store.delete(pvcs, ns, name); return; }
  if (c.metadata.deletionTimestamp) return;
  c.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  c.metadata.deletionGracePeriodSeconds = 0;
  store.update(pvcs, c, { checkVersion: false });
}

export class PvcProtectionController implements Controller {
  readonly name = 'pvc-protection';
  constructor(private readonly ctx: ControllerContext) {}

  onChange(e: { res: ResourceDef; type: string; object: KubeObject }): void {
    const o = e.object;
    if (e.res === pvcs && e.type !== 'DELETED' && o.metadata.deletionTimestamp) this.ctx.later(0, () => this.sync(o.metadata.namespace!, o.metadata.name));
    if (e.res === pods && e.type === 'DELETED') {
      for (const v of o.spec?.volumes ?? []) {
        const claim = v.persistentVolumeClaim?.claimName;
        if (claim) this.ctx.later(0, () => this.sync(o.metadata.namespace!, claim));
      }
    }
  }

  private sync(ns: string, name: string): void {
    const { store } = this.ctx;
    const claim = store.find(pvcs, ns, name);
    if (!claim?.metadata.deletionTimestamp || !claim.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) return;
    if (store.list(pods, ns).some((p) => podUsesClaim(p, name))) return;
    const next = structuredClone(claim);
    next.metadata.finalizers = claim.metadata.finalizers.filter((f) => f !== PVC_PROTECTION_FINALIZER);
    // The controller's UPDATE passes admission (a ValidatingAdmissionPolicy on PVC updates sees it);
    // refused, the claim stays Terminating and the controller retries, as the real one does with back-off.
    try {
      this.ctx.admit?.({ operation: 'UPDATE', resource: pvcs, namespace: ns, name, object: next, oldObject: claim, controller: 'pvc-protection-controller' });
    } catch {
      this.ctx.later(1000, () => this.sync(ns, name));
      return;
    }
    store.update(pvcs, next, { checkVersion: false });
  }
}
