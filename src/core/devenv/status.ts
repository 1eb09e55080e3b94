import type { CoreV1Event, V1ContainerStatus, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { SandboxStatus } from './types';
import { IMAGE_PULL_REASONS as IMAGE_PULL, imagePullCause, imagePullMessage } from './imagePull';
/** Waiting reasons that are just progress, not a problem. */
const PROGRESS = new Set(['ContainerCreating', 'PodInitializing']);
/** Events that explain a pod stuck before its containers start. */
const BLOCKING_EVENTS = new Set(['FailedMount', 'FailedAttachVolume', 'FailedScheduling', 'FailedCreatePodSandBox']);

/**
 * The scheduler's reason without its preemption note: kube-scheduler's FitError reads
 * "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption
 * victims found for incoming pod.." — the part after "preemption:" only says evicting others would not help.
 */
export function schedulerReason(message: string | undefined): string | undefined {
  if (!message) return message;
  const trimmed = message.replace(/\s*preemption: [\s\S]*$/, '').trim();
  return trimmed || message;
}

function time(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') { const t = Date.parse(v); return Number.isNaN(t) ? 0 : t; }
  return 0;
}

/** The newest Warning event about the named object of the given kind. */
export function latestWarning(events: readonly CoreV1Event[] | undefined, kind: string, name: string | undefined, uid?: string): CoreV1Event | undefined {
  if (!events || !name) return undefined;
  let best: CoreV1Event | undefined;
  let bestAt = -1;
  for (const e of events) {
    const o = e.involvedObject;
    if (e.type !== 'Warning' || o?.kind !== kind || o.name !== name) continue;
    if (uid && o.uid && o.uid !== uid) continue; // an event about an earlier pod of the same name
    const at = Math.max(time(e.lastTimestamp), time(e.eventTime), time(e.firstTimestamp), time(e.metadata?.creationTimestamp));
    if (at >= bestAt) { best = e; bestAt = at; }
  }
  return best;
}

/** The newest "Failed to pull image ..." event of this pod. */
function pullFailure(events: readonly CoreV1Event[] | undefined, pod: V1Pod): string | undefined {
  const mine = (events ?? []).filter((e) => e.involvedObject?.kind === 'Pod' && e.involvedObject.name === pod.metadata?.name
    && (!e.involvedObject.uid || !pod.metadata?.uid || e.involvedObject.uid === pod.metadata.uid) && /^Failed to pull image/.test(e.message ?? ''));
  const at = (e: CoreV1Event) => Math.max(time(e.lastTimestamp), time(e.eventTime), time(e.firstTimestamp), time(e.metadata?.creationTimestamp));
  return mine.sort((a, b) => at(a) - at(b)).pop()?.message;
}

function fromContainer(s: V1ContainerStatus): SandboxStatus | undefined {
  const w = s.state?.waiting;
  if (w?.reason && !PROGRESS.has(w.reason)) {
    if (w.reason === 'CrashLoopBackOff') {
      const last = s.lastState?.terminated;
      const why = last ? `exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}${last.message ? `: ${last.message.trim()}` : ''}` : undefined;
      return { phase: 'CrashLoopBackOff', reason: 'CrashLoopBackOff',
        message: `Container ${s.name} keeps exiting${why ? `, last with ${why}` : ''}; restarted ${s.restartCount} time(s).` };
    }
    if (IMAGE_PULL.has(w.reason)) return { phase: 'ImagePullBackOff', reason: w.reason, message: w.message ?? `The image ${s.image} cannot be pulled.` };
    return { phase: 'Pending', reason: w.reason, message: w.message };
  }
  return undefined;
}

/**
 * A sandbox's status from its pod, its workspace PVC and recent events: what a person needs to see
 * to know why it is not ready yet. Pure; `pod` undefined means the sandbox is scaled down (Stopped).
 */
export function describeSandboxStatus(pod: V1Pod | undefined, pvc?: V1PersistentVolumeClaim, events?: readonly CoreV1Event[]): SandboxStatus {
  if (pvc?.status?.phase === 'Lost') {
    return { phase: 'Failed', reason: 'PVC lost', message: `The workspace volume of ${pvc.metadata?.name} is lost (its PersistentVolume no longer exists).` };
  }
  if (!pod) return { phase: 'Stopped', reason: pvc ? 'Scaled down; workspace kept' : undefined };
  if (pod.metadata?.deletionTimestamp) return { phase: 'Terminating', reason: 'Pod is being deleted' };

  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') {
    return { phase: 'Failed', reason: pod.status?.reason ?? (phase === 'Succeeded' ? 'Completed' : 'Failed'),
      message: pod.status?.message ?? 'The pod stopped; restart the sandbox to get a new one.' };
  }

  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const st = fromContainer(s);
    if (st?.phase === 'ImagePullBackOff') {
      // ErrImagePull's message says why; ImagePullBackOff's often only "Back-off pulling image": then the "Failed to pull image" event does.
      const waiting = s.state?.waiting?.message ?? '';
      const said = imagePullCause(waiting, st.reason) === 'unknown' ? pullFailure(events, pod) ?? waiting : waiting;
      return { ...st, message: imagePullMessage(s.image, said, st.reason) };
    }
    if (st) return st;
  }

  const conds = pod.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  if (phase === 'Running' && ready?.status === 'True') return { phase: 'Ready' };

  const podEvent = latestWarning(events, 'Pod', pod.metadata?.name, pod.metadata?.uid);
  const scheduled = conds.find((c) => c.type === 'PodScheduled');
  const unscheduled = scheduled?.status === 'False' || (!scheduled && podEvent?.reason === 'FailedScheduling');

  // An unbound workspace is the usual reason a sandbox never schedules; say so in the PVC's own words.
  if (pvc && pvc.status?.phase !== 'Bound' && phase !== 'Running') {
    const pvcEvent = latestWarning(events, 'PersistentVolumeClaim', pvc.metadata?.name, pvc.metadata?.uid);
    const cls = pvc.spec?.storageClassName;
    return { phase: 'Pending', reason: 'PVC not bound',
      message: pvcEvent?.message ?? `The workspace ${pvc.metadata?.name} is ${pvc.status?.phase ?? 'Pending'}${cls ? ` (storage class ${cls})` : ''}: waiting for a volume to be provisioned.` };
  }
  if (unscheduled) {
    return { phase: 'Pending', reason: scheduled?.reason ?? 'Unschedulable', message: schedulerReason(scheduled?.message ?? podEvent?.message) };
  }
  if (phase !== 'Running' && podEvent && BLOCKING_EVENTS.has(podEvent.reason ?? '')) {
    return { phase: 'Pending', reason: podEvent.reason, message: podEvent.reason === 'FailedScheduling' ? schedulerReason(podEvent.message) : podEvent.message };
  }
  if (phase === 'Running') {
    const probe = podEvent?.reason === 'Unhealthy' ? podEvent.message : undefined;
    return { phase: 'Starting', reason: 'Waiting for sshd', message: probe ?? 'The container is running; waiting for sshd to accept connections on port 2222.' };
  }
  if (phase === 'Pending' || !phase) {
    const waiting = statuses.find((s) => s.state?.waiting?.reason)?.state?.waiting?.reason;
    return { phase: 'Starting', reason: waiting ?? (scheduled?.status === 'True' ? 'ContainerCreating' : 'Scheduling') };
  }
  return { phase: 'Unknown', reason: `Pod phase ${phase}`, message: pod.status?.message ?? 'The node running this pod may be unreachable.' };
}
