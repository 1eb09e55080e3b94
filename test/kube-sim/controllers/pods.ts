/**
 * Pods, as the scheduler and the kubelet move them, on one node (kube-sim-node).
 *
 * Scheduler (kube-scheduler's NodeResourcesFit and VolumeBinding plugins; FitError texts from
 * pkg/scheduler/framework/types.go and the preemption PostFilter message): a pod whose claims are
 * missing or unbound (Immediate class) or whose requests do not fit the node's allocatable cpu,
 * memory and pod count stays Pending with PodScheduled=False reason Unschedulable and a
 * FailedScheduling event, and is retried when pods go away, claims bind or classes appear.
 *
 * Kubelet (pkg/kubelet: images, kuberuntime restarts, events.go texts): an image kube-sim does not
 * "have" gives ErrImagePull then ImagePullBackOff (waiting state and the kubelet's events) and is
 * retried with back-off; a container with a command runs it through the pod runtime, and when it
 * exits the container is restarted with exponential back-off (CrashLoopBackOff, lastState.terminated,
 * restartCount), or the pod ends Succeeded/Failed under restartPolicy Never/OnFailure; a container
 * without a command is the image's sshd (runtime.startPod); a start failure is StartError (exit 128).
 * Back-off is scaled down: config.backoffMs for the kubelet's 10 s, doubling up to 8 times it.
 *
 * Deletion is graceful (deletionTimestamp, then removal after graceMs) unless gracePeriodSeconds is 0.
 * Tests can still force a state (overrides, markPodPending).
 */
import { nowRfc3339, type KubeObject } from '../machinery/types';
import { persistentvolumeclaims as pvcs, pods } from '../registry';
import { storageclasses } from '../registry/others';
import type { ResourceDef } from '../registry/types';
import type { ContainerExit, PodView } from '../runtime/types';
import type { Controller, ControllerContext } from './context';
import type { VolumeBinder } from './volumes';

export interface PodOverride { phase: 'Pending' | 'Running'; reason: string; message: string; waiting?: boolean }

const NODE = 'kube-sim-node';

/** resource.Quantity → a number (cores for cpu, bytes for memory). */
export function parseQuantity(q: unknown): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(q ?? '0').trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const units: Record<string, number> = {
    '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5,
  };
  return n * (units[m[2]!] ?? 1);
}

/** A pod's requests: the sum over containers, at least the largest init container (resource.PodRequests). */
function podRequests(pod: KubeObject): { cpu: number; memory: number } {
  const sum = (cs: any[] | undefined, k: string) => (cs ?? []).reduce((a, c) => a + parseQuantity(c.resources?.requests?.[k] ?? c.resources?.limits?.[k] ?? 0), 0);
  const max = (cs: any[] | undefined, k: string) => (cs ?? []).reduce((a, c) => Math.max(a, parseQuantity(c.resources?.requests?.[k] ?? 0)), 0);
  return {
    cpu: Math.max(sum(pod.spec?.containers, 'cpu'), max(pod.spec?.initContainers, 'cpu')),
    memory: Math.max(sum(pod.spec?.containers, 'memory'), max(pod.spec?.initContainers, 'memory')),
  };
}

/** docker.io/library/busybox:latest for busybox, as the container runtime normalises references. */
export function normalizeImage(ref: string): string {
  let r = ref.trim();
  const at = r.indexOf('@');
  const digest = at >= 0 ? r.slice(at) : '';
  if (at >= 0) r = r.slice(0, at);
  const first = r.split('/')[0]!;
  const hasRegistry = r.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) r = `docker.io/${r.includes('/') ? r : `library/${r}`}`;
  if (!digest && !/:[^/]+$/.test(r)) r += ':latest';
  return r + digest;
}

/** One container's runs in one pod: `gen` counts starts and exits, so late callbacks of an ended run do nothing. */
interface Run { restarts: number; gen: number; startedAt?: string; /** startedAt to the millisecond (the probe clock) */ startedMs?: number; last?: object }

export class PodController implements Controller {
  readonly name = 'pods';
  /** Pods the tests forced into a state (Unschedulable, ImagePullBackOff, CrashLoopBackOff), by "ns/name". */
  readonly overrides = new Map<string, PodOverride>();
  /** Per pod uid: restarts and the last terminated state of its (first) container. */
  private runs = new Map<string, Run>();
  /**
   * What pods on the node request, kept up to date from store events (by uid) so the scheduler's fit
   * check does not list (copy) every pod for every pod: with thousands of pods that was quadratic.
   */
  private onNode = new Map<string, { cpu: number; memory: number }>();
  private used = { cpu: 0, memory: 0 };
  /** A retryPending pass is queued (many claims binding at once make one pass, not one each). */
  private retryQueued = false;
  volumes?: VolumeBinder;

  constructor(private readonly ctx: ControllerContext) {}

  onChange(e: { res: ResourceDef; type: string; object: KubeObject }): void {
    if (e.res === pods) this.account(e.type, e.object);
    // After the write that added it (watchers see ADDED before anything the scheduler writes).
    if (e.res === pods && e.type === 'ADDED') { const p = e.object; this.ctx.later(0, () => this.schedule(p)); }
    if (e.res === pods && e.type === 'DELETED') {
      this.runs.delete(e.object.metadata.uid);
      void this.ctx.runtime()?.stopPod(e.object.metadata.namespace!, e.object.metadata.name).catch(() => {});
      this.retryPending();
    }
    if ((e.res === pvcs && e.object.status?.phase === 'Bound') || (e.res === storageclasses && e.type === 'ADDED') || (e.res === pvcs && e.type === 'ADDED')) this.retryPending();
  }

  // ---- scheduler ----

  /** Keeps onNode/used in step with the store: a pod counts while bound to the node and not finished. */
  private account(type: string, pod: KubeObject): void {
    const uid = pod.metadata.uid;
    const prev = this.onNode.get(uid);
    if (prev) { this.used.cpu -= prev.cpu; this.used.memory -= prev.memory; this.onNode.delete(uid); }
    if (type === 'DELETED' || pod.spec?.nodeName !== NODE || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const r = podRequests(pod);
    this.onNode.set(uid, r);
    this.used.cpu += r.cpu;
    this.used.memory += r.memory;
  }

  /** Pods waiting for the scheduler are retried when something they wait for may have changed. */
  retryPending(): void {
    if (this.retryQueued) return;
    this.retryQueued = true;
    this.ctx.later(0, () => {
      this.retryQueued = false;
      for (const p of this.ctx.store.list(pods)) {
        if (!p.spec?.nodeName && !p.metadata.deletionTimestamp && !this.overrides.has(`${p.metadata.namespace}/${p.metadata.name}`)) this.schedule(p);
      }
    });
  }

  /** Why the pod cannot go on the node, in the scheduler's words, or undefined when it fits. */
  private unschedulable(pod: KubeObject): string | undefined {
    const { store, config } = this.ctx;
    const ns = pod.metadata.namespace!;
    // PreFilter (VolumeBinding): missing or unbound immediate claims; no node-by-node histogram.
    for (const v of pod.spec?.volumes ?? []) {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (!claimName) continue;
      const claim = store.get(pvcs, ns, claimName);
      if (!claim) return `0/1 nodes are available: persistentvolumeclaim "${claimName}" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..`;
      // VolumeBinding PreFilter: a claim being deleted is UnschedulableAndUnresolvable.
      if (claim.metadata.deletionTimestamp) return `0/1 nodes are available: persistentvolumeclaim "${claimName}" is being deleted. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..`;
      if (this.volumes?.blocksScheduling(claim)) return '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..';
    }
    // Filter (NodeResourcesFit): requests against allocatable minus what scheduled pods request.
    const self = this.onNode.get(pod.metadata.uid);
    const used = { cpu: this.used.cpu - (self?.cpu ?? 0), memory: this.used.memory - (self?.memory ?? 0) };
    const others = this.onNode.size - (self ? 1 : 0);
    const want = podRequests(pod);
    const reasons: string[] = [];
    if (want.cpu > 0 && used.cpu + want.cpu > parseQuantity(config.node.cpu) + 1e-9) reasons.push('Insufficient cpu');
    if (want.memory > 0 && used.memory + want.memory > parseQuantity(config.node.memory)) reasons.push('Insufficient memory');
    if (others + 1 > config.node.pods) reasons.push('Too many pods');
    if (!reasons.length) return undefined;
    return `0/1 nodes are available: ${reasons.sort().map((r) => `1 ${r}`).join(', ')}. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..`;
  }

  private schedule(pod: KubeObject): void {
    const ns = pod.metadata.namespace!, name = pod.metadata.name;
    const override = this.overrides.get(`${ns}/${name}`);
    if (override) { this.applyOverride(ns, name, override); return; }
    const cur = this.ctx.store.get(pods, ns, name);
    if (!cur || cur.metadata.uid !== pod.metadata.uid || cur.metadata.deletionTimestamp) return;
    if (cur.spec?.nodeName) { if (!this.runs.has(cur.metadata.uid)) this.startPod(cur); return; }
    const why = this.unschedulable(cur);
    if (why) {
      const cond = cur.status?.conditions?.find((c: any) => c.type === 'PodScheduled');
      if (cond?.status === 'False' && cond.message === why) return; // already said
      this.patchStatus(ns, name, pod.metadata.uid, {
        phase: 'Pending', qosClass: cur.status?.qosClass,
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: why, lastProbeTime: null, lastTransitionTime: nowRfc3339() }],
      });
      this.ctx.event(ns, cur, 'Warning', 'FailedScheduling', why);
      return;
    }
    // Bind: WaitForFirstConsumer claims are provisioned now, then spec.nodeName is set (pods/binding).
    for (const v of cur.spec?.volumes ?? []) if (v.persistentVolumeClaim?.claimName) this.volumes?.bindForPod(ns, v.persistentVolumeClaim.claimName);
    cur.spec = { ...cur.spec, nodeName: NODE };
    const bound = this.ctx.store.update(pods, cur, { checkVersion: false });
    this.ctx.event(ns, bound, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${NODE}`);
    this.patchStatus(ns, name, bound.metadata.uid, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: nowRfc3339() }] });
    this.startPod(bound);
  }

  // ---- kubelet ----

  private hasImage(image: string): boolean {
    return this.ctx.config.images.has(normalizeImage(image));
  }

  private live(ns: string, name: string, uid: string): KubeObject | undefined {
    const p = this.ctx.store.get(pods, ns, name);
    return p && p.metadata.uid === uid && !p.metadata.deletionTimestamp ? p : undefined;
  }

  private backoff(restarts: number): number {
    const base = this.ctx.config.backoffMs;
    return Math.min(base * 2 ** Math.max(0, restarts - 1), base * 8);
  }

  private startPod(pod: KubeObject): void {
    const ns = pod.metadata.namespace!, name = pod.metadata.name, uid = pod.metadata.uid;
    const c = pod.spec?.containers?.[0] ?? {};
    const image: string = c.image ?? '';
    const run = this.runs.get(uid) ?? { restarts: 0, gen: 0 };
    this.runs.set(uid, run);
    const gen = ++run.gen;
    if (!this.hasImage(image)) { this.pullFailed(ns, name, uid, 0); return; }
    if (run.restarts === 0) this.ctx.event(ns, pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
    this.ctx.event(ns, pod, 'Normal', 'Created', `Created container ${c.name}`);
    const runtime = this.ctx.runtime();
    const view: PodView = { namespace: ns, name, uid, object: pod };
    const startedAt = nowRfc3339();
    let started: Promise<void>;
    if (Array.isArray(c.command) && c.command.length && runtime?.runContainer) {
      // Literal env values and the memory limit (the runtime's OOM stand-in) go with the command.
      const env = Object.fromEntries((c.env ?? []).filter((e: any) => typeof e.value === 'string').map((e: any) => [e.name, e.value]));
      const memory = c.resources?.limits?.memory !== undefined ? parseQuantity(c.resources.limits.memory) : undefined;
      started = runtime.runContainer(view, { name: c.name, command: c.command, args: c.args ?? [], env, workingDir: c.workingDir, ...(memory ? { memoryLimitBytes: memory } : {}) },
        (exit) => this.exited(ns, name, uid, startedAt, exit));
    } else {
      started = runtime ? runtime.startPod(view) : Promise.resolve();
    }
    void started.then(
      () => {
        if (!this.live(ns, name, uid) || run.gen !== gen) return;
        this.ctx.event(ns, pod, 'Normal', 'Started', `Started container ${c.name}`);
        run.startedAt = startedAt;
        run.startedMs = Date.now();
        this.ctx.later(this.ctx.config.readyDelayMs, () => { if (run.gen === gen) this.markRunning(ns, name, uid); });
      },
      (e: unknown) => {
        if (run.gen !== gen) return;
        // runc's words for a start that fails (e.g. the entrypoint binary is missing).
        const message = `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${e instanceof Error ? e.message : String(e)}: unknown`;
        this.ctx.event(ns, pod, 'Warning', 'Failed', `Error: ${message}`);
        this.exited(ns, name, uid, startedAt, { exitCode: 128, reason: 'StartError', message });
      },
    );
  }

  /** ErrImagePull, then ImagePullBackOff until the back-off ends and the pull is tried again. */
  private pullFailed(ns: string, name: string, uid: string, attempt: number): void {
    const pod = this.live(ns, name, uid);
    if (!pod) return;
    const c = pod.spec?.containers?.[0] ?? {};
    const image: string = c.image ?? '';
    const detail = `failed to pull and unpack image "${normalizeImage(image)}": failed to resolve reference "${normalizeImage(image)}": ${normalizeImage(image)}: not found`;
    const t = nowRfc3339();
    this.ctx.event(ns, pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    this.ctx.event(ns, pod, 'Warning', 'Failed', `Failed to pull image "${image}": rpc error: code = NotFound desc = ${detail}`);
    this.ctx.event(ns, pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    this.waiting(ns, name, uid, 'ErrImagePull', `rpc error: code = NotFound desc = ${detail}`, t);
    this.ctx.later(Math.min(this.ctx.config.backoffMs, 1000) / 2, () => {
      const p = this.live(ns, name, uid);
      if (!p) return;
      this.ctx.event(ns, p, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.ctx.event(ns, p, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      this.waiting(ns, name, uid, 'ImagePullBackOff', `Back-off pulling image "${image}": ErrImagePull: rpc error: code = NotFound desc = ${detail}`, t);
      this.ctx.later(this.backoff(attempt + 1), () => {
        const again = this.live(ns, name, uid);
        if (!again) return;
        if (this.hasImage(image)) this.startPod(again);
        else this.pullFailed(ns, name, uid, attempt + 1);
      });
    });
  }

  /** The container waits (phase Pending until a container has run; Running while it restarts, as the pod phase docs say). */
  private waiting(ns: string, name: string, uid: string, reason: string, message: string, t: string, restarting = false): void {
    const pod = this.live(ns, name, uid);
    if (!pod) return;
    const c = pod.spec?.containers?.[0] ?? {};
    const run = this.runs.get(uid) ?? { restarts: 0, gen: 0 };
    const notReady = { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${c.name}]`, lastTransitionTime: t };
    this.patchStatus(ns, name, uid, {
      ...pod.status, phase: restarting || pod.status?.phase === 'Running' ? 'Running' : 'Pending', hostIP: '127.0.0.1', startTime: pod.status?.startTime ?? t,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t }, { type: 'Initialized', status: 'True', lastTransitionTime: t },
        { type: 'Ready', ...notReady }, { type: 'ContainersReady', ...notReady },
      ],
      containerStatuses: [{
        name: c.name, ready: false, started: false, restartCount: run.restarts, image: c.image ?? '', imageID: '',
        state: { waiting: { reason, message } }, ...(run.last ? { lastState: { terminated: run.last } } : { lastState: {} }),
      }],
    });
  }

  /** The container ended: restart with back-off (CrashLoopBackOff) or finish the pod, per restartPolicy. */
  private exited(ns: string, name: string, uid: string, startedAt: string, exit: ContainerExit): void {
    const pod = this.live(ns, name, uid);
    if (!pod) return;
    const c = pod.spec?.containers?.[0] ?? {};
    const run = this.runs.get(uid) ?? { restarts: 0, gen: 0 };
    this.runs.set(uid, run);
    run.gen++;
    const reason = exit.reason ?? (exit.exitCode === 0 ? 'Completed' : 'Error');
    const terminated = { exitCode: exit.exitCode, reason, ...(exit.message ? { message: exit.message } : {}), startedAt, finishedAt: nowRfc3339(), containerID: `containerd://${uid.replace(/-/g, '')}` };
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Never' || (policy === 'OnFailure' && exit.exitCode === 0)) {
      const t = nowRfc3339();
      this.patchStatus(ns, name, uid, {
        ...pod.status, phase: exit.exitCode === 0 ? 'Succeeded' : 'Failed',
        conditions: (pod.status?.conditions ?? []).map((x: any) => (x.type === 'Ready' || x.type === 'ContainersReady' ? { ...x, status: 'False', reason: 'PodCompleted', lastTransitionTime: t } : x)),
        containerStatuses: [{ name: c.name, ready: false, started: false, restartCount: run.restarts, image: c.image ?? '', imageID: '', state: { terminated } }],
      });
      return;
    }
    run.last = terminated;
    run.restarts += 1;
    const delay = this.backoff(run.restarts);
    this.ctx.event(ns, pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${name}_${ns}(${uid})`);
    this.waiting(ns, name, uid, 'CrashLoopBackOff', `back-off ${Math.round(delay / 100) / 10}s restarting failed container=${c.name} pod=${name}_${ns}(${uid})`, nowRfc3339(), true);
    this.ctx.later(delay, () => { const p = this.live(ns, name, uid); if (p) this.startPod(p); });
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

  /**
   * The container runs. Without a readinessProbe (or without a runtime that can probe) it is ready
   * at once; with one it starts not ready and the prober decides (probe()).
   */
  markRunning(ns: string, name: string, uid: string): void {
    const pod = this.ctx.store.get(pods, ns, name);
    if (!pod || pod.metadata.uid !== uid) return;
    const probe = pod.spec?.containers?.[0]?.readinessProbe;
    const probed = !!probe && !!this.ctx.runtime()?.probe;
    this.writeRunning(pod, !probed);
    if (probed) {
      const run = this.runs.get(uid);
      if (run) this.startProber(ns, name, uid, run, run.gen);
    }
  }

  private writeRunning(pod: KubeObject, ready: boolean): void {
    const ns = pod.metadata.namespace!, name = pod.metadata.name, uid = pod.metadata.uid;
    const t = nowRfc3339();
    const run = this.runs.get(uid) ?? { restarts: 0, gen: 0 };
    const c = this.containerName(ns, name);
    const was = (type: string) => pod.status?.conditions?.find((x: any) => x.type === type);
    // lastTransitionTime moves only when a condition's status changes.
    const cond = (type: string, on: boolean) => {
      const status = on ? 'True' : 'False';
      const prev = was(type);
      return { type, status, lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : t,
        ...(on ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${c}]` }) };
    };
    this.patchStatus(ns, name, uid, {
      phase: 'Running', podIP: pod.status?.podIP ?? '10.244.0.' + (Math.floor(Math.random() * 200) + 10), hostIP: '127.0.0.1', startTime: pod.status?.startTime ?? t,
      conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', ready), cond('Ready', ready)],
      containerStatuses: [{
        name: c, ready, started: true, restartCount: run.restarts, image: pod.spec?.containers?.[0]?.image ?? '', imageID: '',
        state: { running: { startedAt: run.startedAt ?? t } }, ...(run.last ? { lastState: { terminated: run.last } } : { lastState: {} }),
      }],
    });
  }

  /**
   * The kubelet's readiness prober (pkg/kubelet/prober/worker.go; docs "Configure Liveness, Readiness
   * and Startup Probes"): not ready until the first success; the first probe once initialDelaySeconds
   * have passed since the container started, then every periodSeconds; successThreshold consecutive
   * successes make it ready, failureThreshold consecutive failures unready; each run is bounded by
   * timeoutSeconds. Defaults 10 s period, 1 s timeout, thresholds 1 and 3. A probe runs only while
   * this run of the container is current and the pod is not terminating (no process otherwise);
   * config.probeSecondMs scales the probe clock (1000: real seconds).
   */
  private startProber(ns: string, name: string, uid: string, run: Run, gen: number): void {
    const pod = this.ctx.store.get(pods, ns, name);
    const spec = pod?.spec?.containers?.[0]?.readinessProbe;
    if (!pod || !spec) return;
    const sec = this.ctx.config.probeSecondMs;
    const period = Math.max(1, spec.periodSeconds ?? 10) * sec;
    const timeout = Math.max(1, spec.timeoutSeconds ?? 1) * sec;
    const successThreshold = Math.max(1, spec.successThreshold ?? 1), failureThreshold = Math.max(1, spec.failureThreshold ?? 3);
    const started = run.startedMs ?? Date.now();
    const firstAt = Math.max(0, started + (spec.initialDelaySeconds ?? 0) * sec - Date.now());
    let successes = 0, failures = 0, ready = false;
    let lastSaid: string | undefined;
    const tick = async () => {
      const cur = this.live(ns, name, uid);
      const runtime = this.ctx.runtime();
      if (!cur || run.gen !== gen || !runtime?.probe) return;
      const result = await runtime.probe({ namespace: ns, name, uid, object: cur }, spec, timeout);
      if (!this.live(ns, name, uid) || run.gen !== gen) return;
      if (result.ok) { successes++; failures = 0; } else { failures++; successes = 0; }
      if (!ready && successes >= successThreshold) { ready = true; this.writeRunning(this.live(ns, name, uid)!, true); }
      else if (ready && failures >= failureThreshold) {
        ready = false;
        this.writeRunning(this.live(ns, name, uid)!, false);
      }
      // Each failure is an Unhealthy event; repeats of the same text are one (the recorder aggregates them).
      const said = result.ok ? undefined : `Readiness probe failed: ${(result.output ?? '').trim()}`;
      if (said && said !== lastSaid) this.ctx.event(ns, cur, 'Warning', 'Unhealthy', said);
      lastSaid = said;
      this.ctx.later(period, tick);
    };
    this.ctx.later(firstAt, tick);
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
