/**
 * The controller manager: runs every controller (volume binder, pods = scheduler + kubelet,
 * statefulset, job) on each store change, in that order, and owns what they share (timers that
 * stop with the sim, events, the runtime, the node's capacity, its images and back-off).
 * Deletes of pods, StatefulSets and namespaces come here from the API's delete handler, so that
 * graceful pod termination, garbage collection and namespace cleanup happen as part of the DELETE.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeleteOptions, KubeObject } from '../machinery/types';
import { jobs, namespaces, pods, statefulsets } from '../registry';
import type { ResourceDef } from '../registry/types';
import type { PodRuntime } from '../runtime/types';
import type { Store, WatchEvent } from '../storage/store';
import type { Controller, ControllerConfig, ControllerContext, ControllerWrite, EventType } from './context';
import { recordEvent } from './events';
import { EventsMirror } from './eventsMirror';
import { PvcProtectionController } from './pvcProtection';
import { GarbageCollector } from './garbagecollector';
import { JobController } from './job';
import { NamespaceController } from './namespace';
import { normalizeImage, PodController, type PodOverride } from './pods';
import { ensureDefaultStorageClass, VolumeBinder } from './volumes';
import { StatefulSetController } from './statefulset';

export type { PodOverride } from './pods';

/**
 * Images kube-sim's node has by default: the devenv image Terrarium defaults to, the one the tests
 * and the playground build (terrarium/devenv:dev), and small ones tests use for plain pods.
 * startKubeSim({ images }) adds more.
 */
// Terrarium's default image (this version's, from package.json: the emulator never imports src/), so
// environments created without --image start.
const DEVENV_IMAGE = `ghcr.io/terrarium-dev/terrarium-devenv:${(JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version}`;
export const DEFAULT_IMAGES = [DEVENV_IMAGE, 'ghcr.io/terrarium-dev/devenv:latest', 'terrarium/devenv:dev', 'busybox', 'busybox:1.36', 'alpine', 'nginx', 'registry.k8s.io/pause:3.10'];


export class ControllerManager {
  readonly config: ControllerConfig = {
    readyDelayMs: 0, graceMs: 150, backoffMs: 1000, probeSecondMs: 1000,
    node: { cpu: '64', memory: '256Gi', pods: 110 },
    images: new Set(DEFAULT_IMAGES.map(normalizeImage)),
  };
  readonly pods: PodController;
  readonly statefulsets: StatefulSetController;
  readonly jobs: JobController;
  readonly gc: GarbageCollector;
  readonly namespaces: NamespaceController;
  readonly volumes: VolumeBinder;
  /** Run on every store change, in this order. */
  private readonly controllers: Controller[];
  private timers = new Set<NodeJS.Timeout>();
  /** The API server's admission for controllers' writes (wired by index.ts). */
  admission?: (w: ControllerWrite) => void;
  private isStopped = false;

  constructor(private readonly store: Store, private runtime: PodRuntime | undefined) {
    const ctx: ControllerContext = {
      store, config: this.config,
      runtime: () => this.runtime,
      later: (ms, fn) => this.later(ms, fn),
      stopped: () => this.isStopped,
      event: (ns, involved, type, reason, message) => this.event(ns, involved, type, reason, message),
      admit: (w) => this.admission?.(w),
    };
    this.pods = new PodController(ctx);
    this.statefulsets = new StatefulSetController(ctx, this.pods);
    this.jobs = new JobController(ctx);
    this.gc = new GarbageCollector(ctx, this.pods);
    this.namespaces = new NamespaceController(ctx);
    this.volumes = new VolumeBinder(ctx);
    this.pods.volumes = this.volumes;
    this.controllers = [this.volumes, this.pods, this.statefulsets, this.jobs, new EventsMirror(ctx), new PvcProtectionController(ctx)];
    ensureDefaultStorageClass(store);
  }

  get readyDelayMs(): number { return this.config.readyDelayMs; }
  set readyDelayMs(ms: number) { this.config.readyDelayMs = ms; }
  get graceMs(): number { return this.config.graceMs; }
  set graceMs(ms: number) { this.config.graceMs = ms; }
  /** Pods the tests forced into a state (see PodController.overrides). */
  get overrides(): Map<string, PodOverride> { return this.pods.overrides; }

  setRuntime(rt: PodRuntime | undefined): void { this.runtime = rt; }

  private later(ms: number, fn: () => void | Promise<void>): void {
    const t = setTimeout(() => { this.timers.delete(t); if (!this.isStopped) void Promise.resolve(fn()).catch(() => {}); }, ms);
    this.timers.add(t);
  }

  stop(): void {
    this.isStopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  event(ns: string, involved: KubeObject, type: EventType, reason: string, message: string): void {
    recordEvent(this.store, ns, involved, type, reason, message);
  }

  /** Runs after every store change (the sim subscribes it before anything else). */
  onChange(e: Pick<WatchEvent, 'res' | 'type' | 'object'>): void {
    if (this.isStopped) return;
    for (const c of this.controllers) c.onChange(e);
  }

  /** DELETE for every resource: pods terminate gracefully, StatefulSets and namespaces cascade. */
  delete(r: ResourceDef, ns: string | undefined, name: string, opts: DeleteOptions | undefined): KubeObject | undefined {
    if (r === pods) return this.pods.delete(ns!, name, opts);
    if (r === statefulsets) {
      const set = this.store.mustGet(r, ns, name);
      const gone = this.store.delete(r, ns, name);
      if (opts?.propagationPolicy !== 'Orphan') {
        this.gc.deleteDependents(set);
        this.statefulsets.onDeleted(set);
      }
      return gone;
    }
    if (r === namespaces) return this.namespaces.delete(name);
    if (r === jobs) return this.jobs.delete(ns!, name, opts);
    return this.store.delete(r, ns, name);
  }

  // The operations the facade and older callers use by name.
  reconcileSts(ns: string, name: string): void { this.statefulsets.reconcile(ns, name); }
  updateStsStatus(ns: string, name: string): void { this.statefulsets.updateStatus(ns, name); }
  markRunning(ns: string, name: string, uid: string): void { this.pods.markRunning(ns, name, uid); }
  applyOverride(ns: string, name: string, o: PodOverride, uid?: string): void { this.pods.applyOverride(ns, name, o, uid); }
  terminatePod(ns: string, name: string): KubeObject | undefined { return this.pods.terminatePod(ns, name); }
}

/** The name kube-sim's facade has always exported. */
export { ControllerManager as Controllers };
