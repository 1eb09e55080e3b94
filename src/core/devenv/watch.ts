import type { CoreV1Event, V1PersistentVolumeClaim, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import type { TerrariumError } from '../kube/errors';
import { createInformer, MANAGED_BY_SELECTOR, RESOURCES, type Informer, type InformerState } from '../kube/informer';
import { environmentFromObjects, sandboxesFromObjects } from './model';
import { APP_NAME, LABEL_NAME } from './names';
import type { Environment, Sandbox } from './types';

/**
 * Live environments and sandboxes of one namespace, from watch caches of StatefulSets, pods,
 * workspace PVCs and events (for Pending reasons). Views read it synchronously and repaint on
 * change events; nothing polls. Runs only between start() and stop().
 */
export class EnvironmentWatch {
  private readonly sts: Informer<V1StatefulSet>;
  private readonly pods: Informer<V1Pod>;
  private readonly pvcs: Informer<V1PersistentVolumeClaim>;
  private readonly events: Informer<CoreV1Event>;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly coalesced: Coalescer;

  constructor(readonly cluster: Cluster, opts: { coalesceMs?: number } = {}) {
    this.sts = createInformer<V1StatefulSet>(cluster, { resource: RESOURCES.statefulSets, labelSelector: MANAGED_BY_SELECTOR });
    this.pods = createInformer<V1Pod>(cluster, { resource: RESOURCES.pods, labelSelector: MANAGED_BY_SELECTOR });
    // Workspace PVCs carry the StatefulSet's selector labels (the controller adds them); only
    // Warning events explain a sandbox's state. Neither cache holds the rest of the namespace.
    this.pvcs = createInformer<V1PersistentVolumeClaim>(cluster, { resource: RESOURCES.persistentVolumeClaims, labelSelector: `${LABEL_NAME}=${APP_NAME}` });
    this.events = createInformer<CoreV1Event>(cluster, { resource: RESOURCES.events, fieldSelector: 'type=Warning' });
    this.coalesced = coalescer(() => this.fire(), opts.coalesceMs ?? 50);
    for (const inf of this.all()) this.unsubscribe.push(inf.onChange(() => this.coalesced.poke()));
  }

  private all(): Informer<any>[] { return [this.sts, this.pods, this.pvcs, this.events]; }

  start(): void { for (const i of this.all()) i.start(); }
  stop(): void { for (const i of this.all()) i.stop(); }

  /** syncing until every cache has listed once; error if the StatefulSet or pod watch fails. */
  get state(): InformerState {
    const core = [this.sts, this.pods, this.pvcs];
    if (core.some((i) => i.state === 'error')) return 'error';
    if (core.every((i) => i.state === 'synced')) return 'synced';
    if (core.every((i) => i.state === 'stopped')) return 'stopped';
    return 'syncing';
  }
  get error(): TerrariumError | undefined {
    return [this.sts, this.pods, this.pvcs].find((i) => i.error)?.error;
  }

  environments(): Environment[] {
    const pods = this.pods.list();
    return this.sts.list()
      .map((s) => environmentFromObjects(s, pods))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  sandboxes(environment?: string): Sandbox[] {
    const pods = this.pods.list();
    const pvcs = this.pvcs.list();
    const events = this.events.list();
    return this.sts.list()
      .filter((s) => !environment || s.metadata?.name === environment)
      .flatMap((s) => sandboxesFromObjects(s, pods, pvcs, events));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private fire(): void { for (const l of [...this.listeners]) l(); }

  dispose(): void {
    this.stop();
    this.coalesced.dispose();
    for (const u of this.unsubscribe) u();
    this.listeners.clear();
  }
}

/** Timer functions, injectable so tests drive time themselves. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const realTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

export interface Coalescer { poke(): void; dispose(): void }

/**
 * Leading-edge coalescing: the first poke after a quiet spell fires at once (a lone pod change
 * reaches the views without waiting), pokes within the next `ms` fire once when it ends (reading
 * the caches then, so the last state is what is delivered), and a storm fires at most once per `ms`.
 */
export function coalescer(fire: () => void, ms: number, timers: Timers = realTimers): Coalescer {
  let timer: unknown;
  let dirty = false;
  let disposed = false;
  const window = () => {
    timer = timers.setTimeout(() => {
      timer = undefined;
      if (!dirty || disposed) return;
      dirty = false;
      window();
      fire();
    }, ms);
  };
  return {
    poke() {
      if (disposed) return;
      if (timer !== undefined) { dirty = true; return; }
      window();
      fire();
    },
    dispose() {
      disposed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
    },
  };
}
