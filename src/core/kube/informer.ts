import { ListWatch, Watch, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Cluster } from './cluster';
import type { KubeOp, TerrariumError } from './errors';
import { listAllJson } from './list';
import { findRow, fullOpOf, opOf } from './ops';
import { CappedWatch } from './watch';
import { backoffDelay, sleep } from './retry';
import { translateKubeError } from './translate';

/**
 * Watch caches for trees and panels, built on client-node's ListWatch. What ListWatch does:
 * list, watch from the list's resourceVersion, relist on 410, reconnect from the last
 * resourceVersion after a timeout or a closed stream. What this adds:
 * - reconnect with backoff after errors (ListWatch stops for good on any error, e.g. server down);
 * - a state (syncing / synced / error with the translated error) for the views;
 * - stop() that really stops: ListWatch starts a watch after a list that was in flight when
 *   stopped, and its watch can throw outside any promise chain; the guarded watch below prevents both;
 * - a fresh ListWatch per start(), so nothing from an earlier run can call into the current one;
 * - lists paged with limit + continue and capped (list.ts), watch event lines capped (watch.ts).
 */

/** One resource collection: core ("" group) or a named group. */
export interface ResourceRef {
  group?: string;
  version: string;
  plural: string;
}

export const RESOURCES = {
  pods: { version: 'v1', plural: 'pods' },
  persistentVolumeClaims: { version: 'v1', plural: 'persistentvolumeclaims' },
  services: { version: 'v1', plural: 'services' },
  events: { version: 'v1', plural: 'events' },
  secrets: { version: 'v1', plural: 'secrets' },
  statefulSets: { group: 'apps', version: 'v1', plural: 'statefulsets' },
  jobs: { group: 'batch', version: 'v1', plural: 'jobs' },
  vaultStaticSecrets: { group: 'secrets.hashicorp.com', version: 'v1beta1', plural: 'vaultstaticsecrets' },
} satisfies Record<string, ResourceRef>;

/** "/api/v1/namespaces/devenv/pods", "/apis/apps/v1/namespaces/devenv/statefulsets". */
export function collectionPath(ref: ResourceRef, namespace: string): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${ref.plural}`;
}

export type InformerState = 'stopped' | 'syncing' | 'synced' | 'error';

export type InformerChange<T> =
  | { type: 'add' | 'update' | 'delete'; object: T }
  | { type: 'state'; state: InformerState; error?: TerrariumError };

/** The watch seam: client-node's Watch, or a fake in tests. */
export interface WatchLike {
  watch(
    path: string,
    query: Record<string, unknown>,
    callback: (phase: string, obj: any, watchObj?: any) => void,
    done: (err: any) => void,
  ): Promise<{ abort(): void }>;
}

export interface InformerOptions<T extends KubernetesObject> {
  /** Collection path the watch runs on. */
  path: string;
  /** Lists the collection (same label selector); the informer retries it with backoff. */
  list: (signal: AbortSignal) => Promise<KubernetesListObject<T>>;
  watch: WatchLike;
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** For error texts: verb "list"/"watch", the resource, context and server. */
  op: KubeOp;
  /** Backoff after errors (doubling, jittered). Defaults 500 ms .. 30 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest pause ListWatch takes between watches that ended without events. Default 5 s. */
  maxIdleReconnectMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

interface Run {
  lw: ListWatch<any>;
  abort: AbortController;
  request?: { abort(): void };
}

export class Informer<T extends KubernetesObject> {
  private run: Run | undefined;
  private listeners = new Set<(change: InformerChange<T>) => void>();
  private _state: InformerState = 'stopped';
  private _error: TerrariumError | undefined;
  private failures = 0;

  constructor(private readonly opts: InformerOptions<T>) {}

  get state(): InformerState { return this._state; }
  /** The translated error while state is "error". */
  get error(): TerrariumError | undefined { return this._error; }
  get running(): boolean { return this.run !== undefined; }

  /** Starts listing and watching in the background; a no-op while running. Watch `state` / onChange. */
  start(): void {
    if (this.run) return;
    const abort = new AbortController();
    const run: Run = { abort, lw: undefined as unknown as ListWatch<any> };
    const current = () => this.run === run;
    const wait = this.opts.sleep ?? sleep;
    const maxIdle = this.opts.maxIdleReconnectMs ?? 5000;
    const guardedWatch: WatchLike = {
      watch: async (path, query, callback, done) => {
        if (!current()) return { abort() {} };
        this.setState('synced');
        let finished = false;
        const finish = (err: unknown) => {
          if (finished || !current()) return;
          finished = true;
          done(err);
        };
        try {
          const req = await this.opts.watch.watch(path, query, (phase, obj, w) => {
            if (!current()) return;
            if (phase !== 'ERROR') this.failures = 0;
            callback(phase, obj, w);
          }, finish);
          if (!current()) { req.abort(); return { abort() {} }; }
          run.request = req;
          return req;
        } catch (e) {
          // Watch.watch rejects when credentials cannot be applied; ListWatch would leave that unhandled.
          setImmediate(() => finish(e));
          return { abort() {} };
        }
      },
    };
    const list = async () => {
      this.setState('syncing');
      const result = await this.opts.list(abort.signal);
      if (current()) this.failures = 0;
      return result;
    };
    run.lw = new ListWatch<T>(this.opts.path, guardedWatch as unknown as Watch, list, false,
      this.opts.labelSelector, this.opts.fieldSelector,
      { delayFn: (ms) => wait(Math.min(ms, maxIdle), abort.signal).catch(() => {}) });
    for (const type of ['add', 'update', 'delete'] as const) {
      run.lw.on(type, (object: T) => { if (current()) this.emit({ type, object }); });
    }
    run.lw.on('error', (err: unknown) => { if (current()) this.onError(run, err); });
    this.run = run;
    this.setState('syncing');
    this.kick(run);
  }

  /** Stops the watch and any pending reconnect. The cache keeps its last contents until restarted. */
  stop(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    run.abort.abort();
    void run.lw.stop();
    run.request?.abort();
    this._error = undefined;
    this.setState('stopped');
  }

  list(): T[] {
    return this.run ? [...this.run.lw.list(this.opts.namespace)] : [];
  }

  get(name: string): T | undefined {
    return this.run?.lw.get(name, this.opts.namespace);
  }

  onChange(listener: (change: InformerChange<T>) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private kick(run: Run): void {
    run.lw.start().catch((e: unknown) => { if (this.run === run) this.onError(run, e); });
  }

  private onError(run: Run, err: unknown): void {
    const verb = this._state === 'syncing' ? 'list' : 'watch';
    const translated = translateKubeError(err, { ...this.opts.op, verb });
    // A stray abort while running is not worth showing; just reconnect.
    if (translated.code !== 'Cancelled') {
      this._error = translated;
      this.setState('error', true);
    }
    const delay = backoffDelay(this.failures++, {
      baseDelayMs: this.opts.baseDelayMs ?? 500, maxDelayMs: this.opts.maxDelayMs ?? 30_000, random: this.opts.random,
    });
    const wait = this.opts.sleep ?? sleep;
    // Restarting the same ListWatch resumes from its last resourceVersion (or relists if it has none).
    wait(delay, run.abort.signal).then(() => { if (this.run === run) this.kick(run); }, () => {});
  }

  private setState(state: InformerState, force = false): void {
    if (state === this._state && !force) return;
    this._state = state;
    if (state !== 'error') this._error = undefined;
    this.emit({ type: 'state', state, error: this._error });
  }

  private emit(change: InformerChange<T>): void {
    for (const l of [...this.listeners]) {
      try { l(change); } catch {}
    }
  }
}

export interface WatchCacheSpec {
  resource: ResourceRef;
  labelSelector?: string;
  fieldSelector?: string;
  /** Default: the cluster's namespace. */
  namespace?: string;
}

/** The label every Terrarium-managed object carries. */
export const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=terrarium';

/** A watch cache of one resource in one namespace of a cluster. Call start() while a view needs it. */
export function createInformer<T extends KubernetesObject>(
  cluster: Cluster, spec: WatchCacheSpec,
  tuning: Pick<InformerOptions<T>, 'baseDelayMs' | 'maxDelayMs' | 'maxIdleReconnectMs' | 'sleep' | 'random'> = {},
): Informer<T> {
  const namespace = spec.namespace ?? cluster.namespace;
  const path = collectionPath(spec.resource, namespace);
  // Every watch is two operations of the table (ops.ts), so the Roles rendered from it grant them.
  const listRow = findRow({ group: spec.resource.group ?? '', plural: spec.resource.plural }, 'list');
  const watchRow = findRow({ group: spec.resource.group ?? '', plural: spec.resource.plural }, 'watch');
  if (!listRow || !watchRow) throw new Error(`createInformer: ${spec.resource.plural} has no list and watch rows in src/core/kube/ops.ts`);
  return new Informer<T>({
    ...tuning,
    path,
    namespace,
    labelSelector: spec.labelSelector,
    fieldSelector: spec.fieldSelector,
    // client-node's Watch, but no event line may grow without bound (watch.ts).
    watch: new CappedWatch(cluster.kc),
    // Paged and capped (list.ts); the watch then starts from the list's resourceVersion. No retries
    // inside: the informer's own backoff retries the whole list.
    list: async (signal) => {
      const { items, resourceVersion } = await listAllJson<T>(cluster.withNamespace(namespace), opOf(listRow),
        path, { labelSelector: spec.labelSelector, fieldSelector: spec.fieldSelector }, { signal, retries: 0 });
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items } as KubernetesListObject<T>;
    },
    op: { ...fullOpOf(cluster, listRow), namespace },
  });
}
