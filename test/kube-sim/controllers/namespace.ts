/**
 * Namespace deletion: the namespace goes at once and everything in it after it (pods' processes
 * stopped). A real namespace controller keeps the namespace in phase Terminating until its content
 * and finalizers are gone (issue 10).
 */
import type { KubeObject } from '../machinery/types';
import { events, jobs, namespaces, persistentvolumeclaims as pvcs, pods, RESOURCES, secrets, statefulsets as sts } from '../registry';
import type { ResourceDef } from '../registry/types';
import type { ControllerContext } from './context';

export class NamespaceController {
  readonly name = 'namespace';

  constructor(private readonly ctx: ControllerContext) {}

  delete(name: string): KubeObject {
    const { store } = this.ctx;
    store.mustGet(namespaces, undefined, name);
    const gone = store.delete(namespaces, undefined, name);
    // Workloads first, then the rest of every namespaced kind.
    const order: ResourceDef[] = [sts, pods, pvcs, secrets, events, jobs, ...RESOURCES.filter((x) => x.namespaced)];
    for (const kind of order) {
      for (const o of store.list(kind, name)) {
        if (kind === pods) void this.ctx.runtime()?.stopPod(name, o.metadata.name).catch(() => {});
        try { store.delete(kind, name, o.metadata.name); } catch {}
      }
    }
    return gone;
  }
}
