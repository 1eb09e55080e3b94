/**
 * The Job controller (batch/v1), for non-indexed Jobs with one pod at a time, as
 * kube-controller-manager's job controller documents it (docs "Jobs", concepts/workloads/controllers/job;
 * pkg/controller/job/job_controller.go):
 * - an active Job gets a pod from its template (name `<job>-<5 chars>`, the template's labels plus
 *   batch.kubernetes.io/job-name, controller-uid and their legacy twins, an ownerReference with
 *   controller: true) and the event `SuccessfulCreate Created pod: NAME`; status.startTime, active,
 *   ready, terminating and uncountedTerminatedPods follow the pods;
 * - a pod that Succeeded counts in status.succeeded; once completions (default 1) are reached the Job gets
 *   SuccessCriteriaMet, then Complete (reason CompletionsReached, "Reached expected number of succeeded
 *   pods") and completionTime: since 1.31 the terminal condition follows the interim one;
 * - a pod that Failed counts in status.failed; more failures than backoffLimit (default 6) give
 *   FailureTarget, then Failed, reason BackoffLimitExceeded ("Job has reached the specified backoff
 *   limit"); below the limit a new pod is created after the pod back-off (10 s doubling, scaled to the
 *   kubelet's back-off here);
 * - activeDeadlineSeconds after startTime the active pods are deleted and the Job gets FailureTarget,
 *   then Failed, reason DeadlineExceeded ("Job was active longer than specified deadline");
 * - ttlSecondsAfterFinished after the terminal condition's time the TTL-after-finished controller
 *   deletes the Job with propagationPolicy Foreground (pkg/controller/ttlafterfinished): its pods go too.
 * Not followed: parallelism > 1, Indexed completion mode, podFailurePolicy, successPolicy, suspend,
 * backoffLimitPerIndex, pod finalizers (batch.kubernetes.io/job-tracking).
 * `kubectl wait --for=condition=complete job/NAME` and `kubectl get jobs` read these conditions
 * (cross-checked in test/integration/kube-sim-jobs.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { nowRfc3339, type KubeObject } from '../machinery/types';
import { jobs, pods } from '../registry';
import type { ResourceDef } from '../registry/types';
import type { Controller, ControllerContext } from './context';

const JOB_NAME = 'batch.kubernetes.io/job-name';
const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';

/** Pod names' random suffix: the apiserver's generateName alphabet (no vowels, no 0/1/3). */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const suffix = () => [...randomBytes(5)].map((b) => ALPHABET[b % ALPHABET.length]).join('');

type Condition = { type: string; status: string; reason?: string; message?: string; lastProbeTime: string; lastTransitionTime: string };

const terminal = (job: KubeObject): Condition | undefined =>
  (job.status?.conditions ?? []).find((c: Condition) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');

export class JobController implements Controller {
  readonly name = 'job';
  /** Jobs (by uid) whose deadline timer is set. */
  private deadlines = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {}

  onChange(e: { res: ResourceDef; type: string; object: KubeObject }): void {
    if (e.res === jobs && e.type !== 'DELETED') { const j = e.object; this.ctx.later(0, () => this.sync(j.metadata.namespace!, j.metadata.name, j.metadata.uid)); }
    if (e.res === jobs && e.type === 'DELETED') this.deadlines.delete(e.object.metadata.uid);
    if (e.res === pods) {
      const owner = this.ownerJob(e.object);
      if (owner) this.ctx.later(0, () => this.sync(e.object.metadata.namespace!, owner.name, owner.uid));
    }
  }

  private ownerJob(pod: KubeObject): { name: string; uid: string } | undefined {
    const ref = pod.metadata.ownerReferences?.find((o) => o.kind === 'Job' && o.controller);
    return ref ? { name: ref.name, uid: ref.uid } : undefined;
  }

  private podsOf(job: KubeObject): KubeObject[] {
    return this.ctx.store.list(pods, job.metadata.namespace).filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === job.metadata.uid && o.controller));
  }

  private sync(ns: string, name: string, uid: string): void {
    const { store } = this.ctx;
    const job = store.get(jobs, ns, name);
    if (!job || job.metadata.uid !== uid || job.metadata.deletionTimestamp) return;
    if (this.defaultSelector(job)) return; // the write comes back as MODIFIED
    const spec = job.spec ?? {};
    const status = { ...(job.status ?? {}) };
    const conditions: Condition[] = [...(status.conditions ?? [])];
    const mine = this.podsOf(job);
    const isActive = (p: KubeObject) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
    const active = mine.filter(isActive);
    const succeeded = mine.filter((p) => p.status?.phase === 'Succeeded').length;
    const failed = mine.filter((p) => p.status?.phase === 'Failed').length;
    const terminating = mine.filter((p) => p.metadata.deletionTimestamp).length;
    const completions = spec.completions ?? 1;
    const backoffLimit = spec.backoffLimit ?? 6;
    const now = nowRfc3339();
    const has = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
    const add = (type: string, reason: string, message: string) => {
      if (!has(type)) conditions.push({ type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now });
    };
    const interim = conditions.find((c) => (c.type === 'FailureTarget' || c.type === 'SuccessCriteriaMet') && c.status === 'True');

    if (!terminal(job)) {
      status.startTime ??= now;
      // Interim condition first (the pods are being finished), then the terminal one once none is active.
      if (!interim) {
        if (succeeded >= completions) add('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
        else if (failed > backoffLimit) add('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit');
        else if (this.pastDeadline(job, status.startTime)) add('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline');
      }
      const target = conditions.find((c) => (c.type === 'FailureTarget' || c.type === 'SuccessCriteriaMet') && c.status === 'True');
      if (target) {
        // The controller deletes what still runs (a deadline, or a success policy met early).
        for (const p of active) { try { this.ctx.store.delete(pods, ns, p.metadata.name); } catch { /* gone */ } void this.ctx.runtime()?.stopPod(ns, p.metadata.name).catch(() => {}); }
        if (!mine.some((p) => isActive(p) || p.metadata.deletionTimestamp) || active.length) {
          if (target.type === 'SuccessCriteriaMet') { add('Complete', target.reason!, target.message!); status.completionTime = now; }
          else add('Failed', target.reason!, target.message!);
        }
      } else if (!active.length && !terminating && succeeded + active.length < completions) {
        this.createPod(job, failed);
      }
      this.armDeadline(job, status.startTime);
    }
    const next = {
      ...status, conditions: conditions.length ? conditions : undefined,
      active: terminal({ ...job, status: { conditions } } as KubeObject) ? 0 : this.podsOf(job).filter(isActive).length,
      ready: mine.filter((p) => isActive(p) && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length,
      terminating, succeeded, failed, uncountedTerminatedPods: {},
    };
    for (const k of ['succeeded', 'failed', 'active'] as const) if (!next[k]) delete next[k];
    if (!next.conditions) delete next.conditions;
    if (JSON.stringify(next) !== JSON.stringify(job.status ?? {})) {
      job.status = next;
      store.update(jobs, job, { statusOnly: true, checkVersion: false });
    }
    const done = terminal(job);
    if (done && typeof spec.ttlSecondsAfterFinished === 'number') this.expireAfter(job, done);
  }

  /**
   * The API server's Job strategy generates spec.selector (batch.kubernetes.io/controller-uid: UID) and
   * the template's job-name/controller-uid labels at create (generateSelector, pkg/registry/batch/job).
   * kube-sim's storage stamps the uid after the strategy ran, so the first sync writes them instead.
   */
  private defaultSelector(job: KubeObject): boolean {
    if (job.spec?.selector || job.spec?.manualSelector) return false;
    const uid = job.metadata.uid, name = job.metadata.name;
    const labels = { [CONTROLLER_UID]: uid, [JOB_NAME]: name, 'controller-uid': uid, 'job-name': name };
    job.spec = {
      ...job.spec, selector: { matchLabels: { [CONTROLLER_UID]: uid } },
      template: { ...job.spec?.template, metadata: { ...job.spec?.template?.metadata, labels: { ...job.spec?.template?.metadata?.labels, ...labels } } },
    };
    this.ctx.store.update(jobs, job, { checkVersion: false });
    return true;
  }

  private pastDeadline(job: KubeObject, startTime: string): boolean {
    const d = job.spec?.activeDeadlineSeconds;
    return typeof d === 'number' && Date.now() >= Date.parse(startTime) + d * 1000;
  }

  private armDeadline(job: KubeObject, startTime: string): void {
    const d = job.spec?.activeDeadlineSeconds;
    if (typeof d !== 'number' || this.deadlines.has(job.metadata.uid)) return;
    this.deadlines.add(job.metadata.uid);
    const ns = job.metadata.namespace!, name = job.metadata.name, uid = job.metadata.uid;
    this.ctx.later(Math.max(0, Date.parse(startTime) + d * 1000 - Date.now()) + 5, () => this.sync(ns, name, uid));
  }

  private expired = new Set<string>();

  /** ttlafterfinished: delete the Job (and, Foreground, its pods) ttlSecondsAfterFinished after it finished. */
  private expireAfter(job: KubeObject, done: Condition): void {
    if (this.expired.has(job.metadata.uid)) return;
    this.expired.add(job.metadata.uid);
    const ns = job.metadata.namespace!, name = job.metadata.name, uid = job.metadata.uid;
    const at = Date.parse(done.lastTransitionTime) + job.spec.ttlSecondsAfterFinished * 1000;
    this.ctx.later(Math.max(0, at - Date.now()), () => {
      const cur = this.ctx.store.get(jobs, ns, name);
      if (!cur || cur.metadata.uid !== uid) return;
      this.deleteWithPods(cur);
      this.expired.delete(uid);
    });
  }

  /** DELETE of a Job: batch/v1's default is orphanDependents (pkg/registry/batch/job/strategy.go DefaultGarbageCollectionPolicy); Background/Foreground take the pods. */
  delete(ns: string, name: string, opts: { propagationPolicy?: string; orphanDependents?: boolean } | undefined): KubeObject | undefined {
    const job = this.ctx.store.mustGet(jobs, ns, name);
    const orphan = opts?.propagationPolicy ? opts.propagationPolicy === 'Orphan' : opts?.orphanDependents !== false;
    if (orphan) {
      // The dependents lose their ownerReference to the Job (the garbage collector's orphaning).
      for (const p of this.podsOf(job)) {
        p.metadata.ownerReferences = p.metadata.ownerReferences?.filter((o) => o.uid !== job.metadata.uid);
        this.ctx.store.update(pods, p, { checkVersion: false });
      }
      return this.ctx.store.delete(jobs, ns, name);
    }
    return this.deleteWithPods(job);
  }

  private deleteWithPods(job: KubeObject): KubeObject | undefined {
    const ns = job.metadata.namespace!;
    for (const p of this.podsOf(job)) {
      try { this.ctx.store.delete(pods, ns, p.metadata.name); } catch { /* gone */ }
      void this.ctx.runtime()?.stopPod(ns, p.metadata.name).catch(() => {});
    }
    this.deadlines.delete(job.metadata.uid);
    try { return this.ctx.store.delete(jobs, ns, job.metadata.name); } catch { return undefined; }
  }

  /** One pod from the template; a retry waits the pod back-off (failed pods so far). */
  private createPod(job: KubeObject, failedSoFar: number): void {
    const ns = job.metadata.namespace!;
    const key = `${job.metadata.uid}/${failedSoFar}`;
    if (this.creating.has(key)) return;
    this.creating.add(key);
    const delay = failedSoFar ? Math.min(this.ctx.config.backoffMs * 2 ** (failedSoFar - 1), this.ctx.config.backoffMs * 8) : 0;
    this.ctx.later(delay, () => {
      const cur = this.ctx.store.get(jobs, ns, job.metadata.name);
      if (!cur || cur.metadata.uid !== job.metadata.uid || terminal(cur)) return;
      const tpl = cur.spec?.template ?? {};
      const name = `${cur.metadata.name}-${suffix()}`.slice(0, 63);
      const labels = {
        ...(tpl.metadata?.labels ?? {}),
        [CONTROLLER_UID]: cur.metadata.uid, [JOB_NAME]: cur.metadata.name, 'controller-uid': cur.metadata.uid, 'job-name': cur.metadata.name,
      };
      const pod = {
        apiVersion: 'v1', kind: 'Pod',
        metadata: {
          name, namespace: ns, labels, annotations: tpl.metadata?.annotations,
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: cur.metadata.name, uid: cur.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: JSON.parse(JSON.stringify(tpl.spec ?? {})),
      };
      try {
        this.ctx.admit?.({ operation: 'CREATE', resource: pods, namespace: ns, name, object: pod as any, controller: 'job-controller' });
      } catch (e) {
        this.ctx.event(ns, cur, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
        return;
      }
      this.ctx.store.create(pods, pod as any);
      this.ctx.event(ns, cur, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`);
    });
  }

  private creating = new Set<string>();
}
