/**
 * Pods, as the scheduler and the kubelet move them: a new pod is scheduled onto kube-sim-node,
 * the pod runtime starts what backs it, then it becomes Running and Ready; a failed start is
 * CrashLoopBackOff; tests can force a state (overrides). Deletion is graceful (deletionTimestamp,
 * then removal after graceMs) unless gracePeriodSeconds is 0.
 */
import { nowRfc3339, type KubeObject } from '../machinery/types';
import { pods } from '../registry';
import type { ResourceDef } from '../registry/types';
import type { PodView } from '../runtime/types';
import type { Controller, ControllerContext } from './context';

export interface PodOverride { phase: 'Pending' | 'Running'; reason: string; message: string; waiting?: boolean }

export class PodController implements Controller {
  readonly name = 'pods';
  /** Pods the tests forced into a state (Unschedulable, ImagePullBackOff, CrashLoopBackOff), by "ns/name". */
  readonly overrides = new Map<string, PodOverride>();

  constructor(private readonly ctx: ControllerContext) {}

  onChange(e: { res: ResourceDef; type: string; object: KubeObject }): void {
    if (e.res !== pods) return;
    if (e.type === 'ADDED') this.startPod(e.object);
    if (e.type === 'DELETED') void this.ctx.runtime()?.stopPod(e.object.metadata.namespace!, e.object.metadata.name).catch(() => {});
  }

  private startPod(pod: KubeObject): void {
    const ns = pod.metadata.namespace!, name = pod.metadata.name;
    const override = this.overrides.get(`${ns}/${name}`);
    if (override) { this.applyOverride(ns, name, override); return; }
    this.ctx.event(ns, pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to kube-sim-node`);
    const view: PodView = { namespace: ns, name, uid: pod.metadata.uid, object: pod };
    const runtime = this.ctx.runtime();
    const started = runtime ? runtime.startPod(view) : Promise.resolve();
    void started.then(
      () => this.ctx.later(this.ctx.config.readyDelayMs, () => this.markRunning(ns, name, pod.metadata.uid)),
      (e: unknown) => this.markCrashLoop(ns, name, pod.metadata.uid, e instanceof Error ? e.message : String(e)),
    );
  }

  private patchStatus(ns: string, name: string, uid: string, status: unknown): void {
    const cur = this.ctx.store.get(pods, ns, name);
    if (!cur || cur.metadata.uid !== uid || cur.metadata.deletionTimestamp) return;
    cur.status = status;
    this.ctx.store.update(pods, cur, { statusOnly: true, checkVersion: false });
  }

  private containerName(ns: string, name: string): string {
    return this.ctx.store.get(pods, ns, name)?.spec?.containers?.[0]?.name ?? 'main';
  }

  markRunning(ns: string, name: string, uid: string): void {
    const pod = this.ctx.store.get(pods, ns, name);
    if (!pod || pod.metadata.uid !== uid) return;
    const t = nowRfc3339();
    this.ctx.event(ns, pod, 'Normal', 'Pulled', `Container image "${pod.spec?.containers?.[0]?.image ?? ''}" already present on machine`);
    this.ctx.event(ns, pod, 'Normal', 'Started', `Started container ${this.containerName(ns, name)}`);
    this.patchStatus(ns, name, uid, {
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
    const pod = this.ctx.store.get(pods, ns, name);
    if (!pod) return;
    const t = nowRfc3339();
    const c = this.containerName(ns, name);
    if (o.reason === 'Unschedulable') {
      this.patchStatus(ns, name, uid ?? pod.metadata.uid, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: o.message, lastTransitionTime: t }] });
      this.ctx.event(ns, pod, 'Warning', 'FailedScheduling', o.message);
      return;
    }
    this.patchStatus(ns, name, uid ?? pod.metadata.uid, {
      phase: o.phase,
      conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: t }, { type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: t }],
      containerStatuses: [{ name: c, ready: false, restartCount: o.reason === 'CrashLoopBackOff' ? 3 : 0, image: pod.spec?.containers?.[0]?.image ?? '', imageID: '', state: { waiting: { reason: o.reason, message: o.message } } }],
    });
    this.ctx.event(ns, pod, 'Warning', o.reason === 'CrashLoopBackOff' ? 'BackOff' : 'Failed', o.message);
  }

  /** Graceful termination: deletionTimestamp now, the processes stopped and the pod removed after graceMs. */
  terminatePod(ns: string, name: string): KubeObject | undefined {
    const pod = this.ctx.store.get(pods, ns, name);
    if (!pod) return undefined;
    if (!pod.metadata.deletionTimestamp) {
      pod.metadata.deletionTimestamp = nowRfc3339();
      pod.metadata.deletionGracePeriodSeconds = 0;
      const updated = this.ctx.store.update(pods, pod, { checkVersion: false });
      this.ctx.event(ns, pod, 'Normal', 'Killing', `Stopping container ${this.containerName(ns, name)}`);
      const uid = pod.metadata.uid;
      this.ctx.later(this.ctx.config.graceMs, async () => {
        await this.ctx.runtime()?.stopPod(ns, name).catch(() => {});
        const cur = this.ctx.store.get(pods, ns, name);
        if (cur && cur.metadata.uid === uid) this.ctx.store.delete(pods, ns, name);
      });
      return updated;
    }
    return pod;
  }

  /** DELETE of a pod: graceful, or immediate with gracePeriodSeconds 0. */
  delete(ns: string, name: string, opts: { gracePeriodSeconds?: number } | undefined): KubeObject | undefined {
    this.ctx.store.mustGet(pods, ns, name);
    if (opts?.gracePeriodSeconds === 0) {
      const gone = this.ctx.store.delete(pods, ns, name);
      void this.ctx.runtime()?.stopPod(ns, name).catch(() => {});
      return gone;
    }
    return this.terminatePod(ns, name);
  }
}
