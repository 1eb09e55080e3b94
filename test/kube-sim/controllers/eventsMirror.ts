/**
 * events.k8s.io/v1 Events mirrored into core/v1 (registry/coordination.ts says why): a real server
 * stores both API versions as one resource, so an Event written through events.k8s.io is listed by
 * `kubectl get events` (core/v1). The mirror keeps the name, namespace and uid-less metadata.
 */
import type { KubeObject } from '../machinery/types';
import { events as coreEvents } from '../registry';
import { eventsV1, eventsV1ToCore } from '../registry/coordination';
import type { ResourceDef } from '../registry/types';
import type { Controller, ControllerContext } from './context';

export class EventsMirror implements Controller {
  readonly name = 'events-mirror';
  constructor(private readonly ctx: ControllerContext) {}

  onChange(e: { res: ResourceDef; type: string; object: KubeObject }): void {
    if (e.res !== eventsV1) return;
    const { store } = this.ctx;
    const ns = e.object.metadata.namespace!, name = e.object.metadata.name;
    try {
      if (e.type === 'DELETED') { if (store.find(coreEvents, ns, name)) store.delete(coreEvents, ns, name); return; }
      const core = eventsV1ToCore(e.object) as KubeObject;
      const { uid: _uid, resourceVersion: _rv, managedFields: _mf, creationTimestamp: _ct, generation: _g, ...meta } = core.metadata;
      core.metadata = meta as KubeObject['metadata'];
      const cur = store.find(coreEvents, ns, name);
      if (cur) store.update(coreEvents, { ...core, metadata: { ...cur.metadata, labels: meta.labels, annotations: meta.annotations } }, { checkVersion: false });
      else store.create(coreEvents, core);
    } catch { /* a mirror never fails the write that caused it */ }
  }
}
