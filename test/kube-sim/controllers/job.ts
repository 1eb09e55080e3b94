/** Jobs: complete 200 ms after creation (no pods run), then removed after ttlSecondsAfterFinished. */
import { nowRfc3339, type KubeObject } from '../machinery/types';
import { jobs } from '../registry';
import type { ResourceDef } from '../registry/types';
import type { Controller, ControllerContext } from './context';

export class JobController implements Controller {
  readonly name = 'job';

  constructor(private readonly ctx: ControllerContext) {}

  onChange(e: { res: ResourceDef; type: string; object: KubeObject }): void {
    if (e.res === jobs && e.type === 'ADDED') this.run(e.object);
  }

  private run(job: KubeObject): void {
    const { store } = this.ctx;
    const ns = job.metadata.namespace, name = job.metadata.name;
    this.ctx.later(200, () => {
      const cur = store.get(jobs, ns, name);
      if (!cur) return;
      cur.status = { succeeded: 1, completionTime: nowRfc3339(), startTime: cur.metadata.creationTimestamp, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: nowRfc3339() }] };
      store.update(jobs, cur, { statusOnly: true, checkVersion: false });
      const ttl = cur.spec?.ttlSecondsAfterFinished;
      if (typeof ttl === 'number') this.ctx.later(ttl * 1000, () => { try { store.delete(jobs, ns, name); } catch {} });
    });
  }
}
