/**
 * Garbage collection by ownerReferences, as far as kube-sim does it today: deleting a StatefulSet
 * (propagationPolicy other than Orphan) terminates the pods it owns, at once. A real garbage
 * collector deletes every dependent of every owner (Secrets owned by VSO objects too), in the
 * background or foreground (blocking with the foregroundDeletion finalizer); see issue 10.
 */
import type { KubeObject } from '../machinery/types';
import { pods } from '../registry';
import { controllerrevisions } from '../registry/apps';
import type { ControllerContext } from './context';
import type { PodController } from './pods';

export class GarbageCollector {
  readonly name = 'garbagecollector';

  constructor(private readonly ctx: ControllerContext, private readonly podsCtl: PodController) {}

  /** The owner was deleted: its dependent pods terminate. */
  deleteDependents(owner: KubeObject): void {
    const ns = owner.metadata.namespace!;
    for (const p of this.ctx.store.list(pods, ns)) {
      if (p.metadata.ownerReferences?.some((o) => o.uid === owner.metadata.uid)) this.podsCtl.terminatePod(ns, p.metadata.name);
    }
    // A StatefulSet's ControllerRevisions are owned by it and go with it.
    for (const r of this.ctx.store.list(controllerrevisions, ns)) {
      if (r.metadata.ownerReferences?.some((o) => o.uid === owner.metadata.uid)) { try { this.ctx.store.delete(controllerrevisions, ns, r.metadata.name); } catch {} }
    }
  }
}
