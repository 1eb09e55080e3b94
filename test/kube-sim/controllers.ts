/**
 * The controllers kube-sim runs: StatefulSets (ordinal pods, PVCs from volumeClaimTemplates,
 * retention policy, scale, readiness), pods (Pending -> Running/Ready through the pod runtime,
 * graceful termination), namespaces (cascade), Jobs (complete, then TTL), and events.
 */
import { findResource, RESOURCES, type ResourceDef } from './resources';
import { invalid } from './status';
import type { Store } from './store';
import type { PodRuntime, PodView } from './runtime/types';

const R = (g: string, v: string, p: string) => findResource(g, v, p)!;
export const RES = {
  ns: R('', 'v1', 'namespaces'), pods: R('', 'v1', 'pods'), pvcs: R('', 'v1', 'persistentvolumeclaims'),
  events: R('', 'v1', 'events'), secrets: R('', 'v1', 'secrets'), sts: R('apps', 'v1', 'statefulsets'), jobs: R('batch', 'v1', 'jobs'),
};

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export interface PodOverride { phase: 'Pending' | 'Running'; reason: string; message: string; waiting?: boolean }

export class Controllers {
  /** Pods the tests forced into a state (Unschedulable, ImagePullBackOff, CrashLoopBackOff). */
  readonly overrides = new Map<string, PodOverride>();
  readyDelayMs = 0;
  graceMs = 150;
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly store: Store, private runtime: PodRuntime | undefined) {}

  setRuntime(rt: PodRuntime | undefined): void { this.runtime = rt; }

  private later(ms: number, fn: () => void | Promise<void>): void {
    const t = setTimeout(() => { this.timers.delete(t); if (!this.stopped) void Promise.resolve(fn()).catch(() => {}); }, ms);
    this.timers.add(t);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  event(ns: string, involved: any, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const name = `${involved.metadata.name}.${Date.now().toString(16)}${Math.random().toString(16).slice(2, 6)}`;
    try {
      this.store.create(RES.events, {
        apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: ns },
        involvedObject: { kind: involved.kind, name: involved.metadata.name, namespace: ns, uid: involved.metadata.uid, apiVersion: involved.apiVersion },
        reason, message, type, count: 1, firstTimestamp: now(), lastTimestamp: now(), source: { component: 'kube-sim' },
      });
    } catch {}
  }

  /** Defaults and validation before a write, like admission + defaulting. */
  beforeWrite(r: ResourceDef, obj: any): void {
    if (r === RES.sts) {
      const replicas = obj.spec?.replicas ?? 1;
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw invalid('StatefulSet', 'apps', obj.metadata?.name ?? '', [{ field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` }]);
      }
      obj.spec.replicas = replicas;
      obj.spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
    }
    if (r === RES.pods) obj.status ??= { phase: 'Pending' };
  }

  /** Runs after every store change (subscribed by the sim). */
  onChange(r: ResourceDef, type: string, obj: any): void {
    if (this.stopped) return;
    if (r === RES.sts && type !== 'DELETED') this.reconcileSts(obj.metadata.namespace, obj.metadata.name);
    if (r === RES.pods && type === 'ADDED') this.startPod(obj);
    if (r === RES.pods && type === 'DELETED') {
      void this.runtime?.stopPod(obj.metadata.namespace, obj.metadata.name).catch(() => {});
      const owner = obj.metadata.ownerReferences?.find((o: any) => o.kind === 'StatefulSet');
      if (owner) this.later(50, () => this.reconcileSts(obj.metadata.namespace, owner.name));
    }
    if (r === RES.pods && type === 'MODIFIED') {
      const owner = obj.metadata.ownerReferences?.find((o: any) => o.kind === 'StatefulSet');
      if (owner) this.updateStsStatus(obj.metadata.namespace, owner.name);
    }
    if (r === RES.jobs && type === 'ADDED') this.runJob(obj);
  }

  reconcileSts(ns: string, name: string): void {
    const sts = this.store.get(RES.sts, ns, name);
    if (!sts || sts.metadata.deletionTimestamp) return;
    const replicas: number = sts.spec.replicas ?? 1;
    const pods = this.store.list(RES.pods, ns).filter((p) => p.metadata.ownerReferences?.some((o: any) => o.uid === sts.metadata.uid));
    const have = new Map(pods.map((p) => [p.metadata.name, p]));
    for (let i = 0; i < replicas; i++) {
      const podName = `${name}-${i}`;
      for (const t of sts.spec.volumeClaimTemplates ?? []) {
        const claim = `${t.metadata.name}-${name}-${i}`;
        if (!this.store.get(RES.pvcs, ns, claim)) {
          const cls = t.spec?.storageClassName;
          const bound = cls !== 'slow' && cls !== 'missing';
          const pvc = this.store.create(RES.pvcs, {
            apiVersion: 'v1', kind: 'PersistentVolumeClaim',
            metadata: { name: claim, namespace: ns, labels: { ...(t.metadata.labels ?? {}), ...(sts.spec.selector?.matchLabels ?? {}) } },
            spec: { ...structuredClone(t.spec), volumeName: bound ? `pv-${claim}` : undefined },
            status: { phase: bound ? 'Bound' : 'Pending', ...(bound ? { accessModes: t.spec?.accessModes, capacity: t.spec?.resources?.requests } : {}) },
          });
          if (!bound) this.event(ns, pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${cls}" not found`);
        }
      }
      if (!have.has(podName)) this.createPod(sts, i);
    }
    for (const p of pods) {
      const ordinal = Number(p.metadata.name.slice(name.length + 1));
      if (ordinal >= replicas && !p.metadata.deletionTimestamp) {
        this.terminatePod(ns, p.metadata.name);
        if (sts.spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
          for (const t of sts.spec.volumeClaimTemplates ?? []) this.tryDelete(RES.pvcs, ns, `${t.metadata.name}-${name}-${ordinal}`);
        }
      }
    }
    this.updateStsStatus(ns, name);
  }

  private createPod(sts: any, i: number): void {
    const ns = sts.metadata.namespace;
    const tpl = structuredClone(sts.spec.template ?? {});
    const podName = `${sts.metadata.name}-${i}`;
    const volumes = [...(tpl.spec?.volumes ?? [])];
    for (const t of sts.spec.volumeClaimTemplates ?? []) {
      volumes.push({ name: t.metadata.name, persistentVolumeClaim: { claimName: `${t.metadata.name}-${sts.metadata.name}-${i}` } });
    }
    const pod = this.store.create(RES.pods, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name: podName, namespace: ns,
        labels: { ...(tpl.metadata?.labels ?? {}), 'statefulset.kubernetes.io/pod-name': podName, 'apps.kubernetes.io/pod-index': String(i) },
        annotations: tpl.metadata?.annotations,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name, uid: sts.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...(tpl.spec ?? {}), volumes, hostname: podName, subdomain: sts.spec.serviceName, nodeName: 'kube-sim-node' },
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: now() }] },
    });
    void pod;
  }

  private startPod(pod: any): void {
    const ns = pod.metadata.namespace, name = pod.metadata.name;
    const key = `${ns}/${name}`;
    const override = this.overrides.get(key);
    if (override) { this.applyOverride(ns, name, override); return; }
    this.event(ns, pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to kube-sim-node`);
    const view: PodView = { namespace: ns, name, uid: pod.metadata.uid, object: pod };
    const started = this.runtime ? this.runtime.startPod(view) : Promise.resolve();
    void started.then(
      () => this.later(this.readyDelayMs, () => this.markRunning(ns, name, pod.metadata.uid)),
      (e: unknown) => this.markCrashLoop(ns, name, pod.metadata.uid, e instanceof Error ? e.message : String(e)),
    );
  }

  private patchPodStatus(ns: string, name: string, uid: string, status: any): void {
    const cur = this.store.get(RES.pods, ns, name);
    if (!cur || cur.metadata.uid !== uid || cur.metadata.deletionTimestamp) return;
    cur.status = status;
    this.store.update(RES.pods, cur, { statusOnly: true, checkVersion: false });
  }

  private containerName(ns: string, name: string): string {
    return this.store.get(RES.pods, ns, name)?.spec?.containers?.[0]?.name ?? 'main';
  }

  markRunning(ns: string, name: string, uid: string): void {
    const pod = this.store.get(RES.pods, ns, name);
    if (!pod || pod.metadata.uid !== uid) return;
    const t = now();
    this.event(ns, pod, 'Normal', 'Pulled', `Container image "${pod.spec?.containers?.[0]?.image ?? ''}" already present on machine`);
    this.event(ns, pod, 'Normal', 'Started', `Started container ${this.containerName(ns, name)}`);
    this.patchPodStatus(ns, name, uid, {
      phase: 'Running', podIP: '10.244.0.' + (Math.floor(Math.random() * 200) + 10), hostIP: '127.0.0.1', startTime: t,
      conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: t })),
      containerStatuses: [{ name: this.containerName(ns, name), ready: true, started: true, restartCount: 0, image: pod.spec?.containers?.[0]?.image ?? '', imageID: '', state: { running: { startedAt: t } } }],
    });
  }

  private markCrashLoop(ns: string, name: string, uid: string, message: string): void {
    this.applyOverride(ns, name, { phase: 'Running', reason: 'CrashLoopBackOff', message: `back-off restarting failed container: ${message}`, waiting: true }, uid);
  }

  /** Forces a pod into a not-ready state, as a real cluster would show it. */
  applyOverride(ns: string, name: string, o: PodOverride, uid?: string): void {
    const pod = this.store.get(RES.pods, ns, name);
    if (!pod) return;
    const t = now();
    const c = this.containerName(ns, name);
    if (o.reason === 'Unschedulable') {
      this.patchPodStatus(ns, name, uid ?? pod.metadata.uid, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: o.message, lastTransitionTime: t }] });
      this.event(ns, pod, 'Warning', 'FailedScheduling', o.message);
      return;
    }
    this.patchPodStatus(ns, name, uid ?? pod.metadata.uid, {
      phase: o.phase,
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: t }, { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: t }],
      containerStatuses: [{ name: c, ready: false, restartCount: o.reason === 'CrashLoopBackOff' ? 3 : 0, image: pod.spec?.containers?.[0]?.image ?? '', imageID: '', state: { waiting: { reason: o.reason, message: o.message } } }],
    });
    this.event(ns, pod, 'Warning', o.reason === 'CrashLoopBackOff' ? 'BackOff' : 'Failed', o.message);
  }

  terminatePod(ns: string, name: string): any {
    const pod = this.store.get(RES.pods, ns, name);
    if (!pod) return undefined;
    if (!pod.metadata.deletionTimestamp) {
      pod.metadata.deletionTimestamp = now();
      pod.metadata.deletionGracePeriodSeconds = 0;
      const updated = this.store.update(RES.pods, pod, { checkVersion: false });
      this.event(ns, pod, 'Normal', 'Killing', `Stopping container ${this.containerName(ns, name)}`);
      const uid = pod.metadata.uid;
      this.later(this.graceMs, async () => {
        await this.runtime?.stopPod(ns, name).catch(() => {});
        const cur = this.store.get(RES.pods, ns, name);
        if (cur && cur.metadata.uid === uid) this.store.delete(RES.pods, ns, name);
      });
      return updated;
    }
    return pod;
  }

  private tryDelete(r: ResourceDef, ns: string | undefined, name: string): void {
    try { this.store.delete(r, ns, name); } catch {}
  }

  updateStsStatus(ns: string, name: string): void {
    const sts = this.store.get(RES.sts, ns, name);
    if (!sts) return;
    const pods = this.store.list(RES.pods, ns).filter((p) => p.metadata.ownerReferences?.some((o: any) => o.uid === sts.metadata.uid) && !p.metadata.deletionTimestamp);
    const ready = pods.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
    const status = {
      observedGeneration: sts.metadata.generation, replicas: pods.length, readyReplicas: ready, availableReplicas: ready,
      currentReplicas: pods.length, updatedReplicas: pods.length, currentRevision: `${name}-1`, updateRevision: `${name}-1`, collisionCount: 0,
    };
    if (JSON.stringify(status) === JSON.stringify(sts.status)) return;
    sts.status = status;
    this.store.update(RES.sts, sts, { statusOnly: true, checkVersion: false });
  }

  /** DELETE for every resource: pods terminate gracefully, StatefulSets and namespaces cascade. */
  delete(r: ResourceDef, ns: string | undefined, name: string, opts: any): any {
    if (r === RES.pods) {
      const pod = this.store.mustGet(r, ns, name);
      if (opts?.gracePeriodSeconds === 0) {
        const gone = this.store.delete(r, ns, name);
        void this.runtime?.stopPod(ns!, name).catch(() => {});
        void pod;
        return gone;
      }
      return this.terminatePod(ns!, name);
    }
    if (r === RES.sts) {
      const sts = this.store.mustGet(r, ns, name);
      const gone = this.store.delete(r, ns, name);
      if (opts?.propagationPolicy !== 'Orphan') {
        for (const p of this.store.list(RES.pods, ns)) {
          if (p.metadata.ownerReferences?.some((o: any) => o.uid === sts.metadata.uid)) this.terminatePod(ns!, p.metadata.name);
        }
        if (sts.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete') {
          for (let i = 0; i < (sts.spec.replicas ?? 0) + 50; i++) {
            for (const t of sts.spec.volumeClaimTemplates ?? []) this.tryDelete(RES.pvcs, ns, `${t.metadata.name}-${name}-${i}`);
          }
        }
      }
      return gone;
    }
    if (r === RES.ns) {
      const nsObj = this.store.mustGet(r, undefined, name);
      const gone = this.store.delete(r, undefined, name);
      for (const other of [RES.sts, RES.pods, RES.pvcs, RES.secrets, RES.events, RES.jobs, ...this.allNamespaced()]) {
        for (const o of this.store.list(other, name)) {
          if (other === RES.pods) void this.runtime?.stopPod(name, o.metadata.name).catch(() => {});
          this.tryDelete(other, name, o.metadata.name);
        }
      }
      void nsObj;
      return gone;
    }
    return this.store.delete(r, ns, name);
  }

  private allNamespaced(): ResourceDef[] {
    return RESOURCES.filter((x) => x.namespaced);
  }

  private runJob(job: any): void {
    const ns = job.metadata.namespace, name = job.metadata.name;
    this.later(200, () => {
      const cur = this.store.get(RES.jobs, ns, name);
      if (!cur) return;
      cur.status = { succeeded: 1, completionTime: now(), startTime: cur.metadata.creationTimestamp, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: now() }] };
      this.store.update(RES.jobs, cur, { statusOnly: true, checkVersion: false });
      const ttl = cur.spec?.ttlSecondsAfterFinished;
      if (typeof ttl === 'number') this.later(ttl * 1000, () => this.tryDelete(RES.jobs, ns, name));
    });
  }
}
