import type { CoreV1Event, V1PersistentVolumeClaim, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import {
  ANNOTATION_CLAIMED_BY, ANNOTATION_EGRESS_ALLOW, ANNOTATION_HOST_PUBLIC_KEY, ANNOTATION_LAST_REPLICAS, LABEL_ENVIRONMENT, SANDBOX_CONTAINER,
  ordinalOf, sandboxName, workspaceClaimName, workspaceOrdinalOf,
} from './names';
import { formatDuration, readPolicy } from './policy';
import { describeSandboxStatus } from './status';
import { secretsOfPod } from './secretUse';
import type { Environment, EnvironmentStatus, Sandbox, SecretUse } from './types';

// The pool and idle annotations (owner: policy.ts) are read here; importable from the read model too.
export {
  ANNOTATION_CLAIM_TTL, ANNOTATION_IDLE_STOP_AFTER, ANNOTATION_MAX_REPLICAS, ANNOTATION_WARM_SPARES, ANNOTATION_WARM_TRIM_AFTER,
} from './policy';

/**
 * The read model: Environment and Sandbox values from StatefulSets, pods, PVCs and events, the same
 * whether they come from one-shot lists (operations.ts) or watch caches (watch.ts). Objects from
 * typed clients carry Dates, objects from raw watches carry strings; both are accepted.
 */

function iso(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string' && v) return v;
  return undefined;
}

function isReady(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase === 'Running'
    && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Pods of this environment: named `<env>-<n>` and, when labelled, labelled for it. */
function podsOf(env: string, pods: readonly V1Pod[]): Map<number, V1Pod> {
  const out = new Map<number, V1Pod>();
  for (const p of pods) {
    const name = p.metadata?.name ?? '';
    const ord = ordinalOf(env, name);
    const label = p.metadata?.labels?.[LABEL_ENVIRONMENT];
    if (ord !== undefined && (label === undefined || label === env)) out.set(ord, p);
  }
  return out;
}

function pvcsOf(env: string, pvcs: readonly V1PersistentVolumeClaim[]): Map<number, V1PersistentVolumeClaim> {
  const out = new Map<number, V1PersistentVolumeClaim>();
  for (const c of pvcs) {
    const ord = workspaceOrdinalOf(env, c.metadata?.name ?? '');
    const label = c.metadata?.labels?.[LABEL_ENVIRONMENT];
    if (ord !== undefined && (label === undefined || label === env)) out.set(ord, c);
  }
  return out;
}

const TROUBLE = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'Failed', 'Pending', 'Unknown']);

export function environmentFromObjects(sts: V1StatefulSet, pods: readonly V1Pod[]): Environment {
  const name = sts.metadata?.name ?? '';
  const desired = sts.spec?.replicas ?? 1;
  const mine = [...podsOf(name, pods).entries()].filter(([ord]) => ord < desired).map(([, p]) => p);
  // Without pods (e.g. a caller that did not list them) the controller's own count is the best we have.
  const ready = pods.length ? mine.filter(isReady).length : (sts.status?.readyReplicas ?? 0);
  const tmpl = sts.spec?.template?.spec;
  const container = tmpl?.containers?.find((c) => c.name === SANDBOX_CONTAINER) ?? tmpl?.containers?.[0];
  const claim = sts.spec?.volumeClaimTemplates?.find((t) => t.metadata?.name === 'workspace') ?? sts.spec?.volumeClaimTemplates?.[0];
  const ann = sts.metadata?.annotations ?? {};
  const last = Number(ann[ANNOTATION_LAST_REPLICAS]);

  let status: EnvironmentStatus;
  if (sts.metadata?.deletionTimestamp) status = 'Deleting';
  else if (desired === 0) status = 'Stopped';
  else if (ready >= desired) status = 'Ready';
  else if (mine.some((p) => TROUBLE.has(describeSandboxStatus(p).phase))) status = 'Degraded';
  else status = 'Starting';

  const res = container?.resources;
  return {
    name,
    namespace: sts.metadata?.namespace ?? '',
    desired,
    ready,
    image: container?.image ?? '',
    status,
    resources: {
      cpu: { request: res?.requests?.cpu, limit: res?.limits?.cpu },
      memory: { request: res?.requests?.memory, limit: res?.limits?.memory },
    },
    storage: { size: claim?.spec?.resources?.requests?.storage, className: claim?.spec?.storageClassName ?? undefined },
    hostPublicKey: ann[ANNOTATION_HOST_PUBLIC_KEY] || undefined,
    lastReplicas: Number.isInteger(last) && last > 0 ? last : undefined,
    createdAt: iso(sts.metadata?.creationTimestamp),
    generation: sts.metadata?.generation,
    ...policyFields(ann),
    ...secretsField(secretsOfPod(tmpl, container)),
    ...(ann[ANNOTATION_EGRESS_ALLOW] !== undefined ? { egressAllow: ann[ANNOTATION_EGRESS_ALLOW].split(',').filter(Boolean) } : {}),
  };
}

const secretsField = (secrets: SecretUse[]): Pick<Environment, 'secrets'> => (secrets.length ? { secrets } : {});

/** The pool and idle settings on the Environment, durations as canonical text ("1h30m"). */
function policyFields(ann: Record<string, string>): Pick<Environment, 'warmSpares' | 'maxReplicas' | 'claimTtl' | 'idleStopAfter' | 'settingProblems'> {
  const p = readPolicy(ann);
  return {
    maxReplicas: p.maxReplicas,
    ...(p.warmSpares !== undefined ? { warmSpares: p.warmSpares } : {}),
    ...(p.claimTtlMs !== undefined ? { claimTtl: formatDuration(p.claimTtlMs) } : {}),
    ...(p.idleStopAfterMs !== undefined ? { idleStopAfter: formatDuration(p.idleStopAfterMs) } : {}),
    ...(p.problems.length ? { settingProblems: p.problems } : {}),
  };
}

/**
 * One Sandbox per ordinal that has a pod, is wanted (ordinal < replicas) or still has a workspace
 * PVC (Stopped: scaled down or stopped, workspace kept), sorted by ordinal.
 */
export function sandboxesFromObjects(
  sts: V1StatefulSet,
  pods: readonly V1Pod[],
  pvcs: readonly V1PersistentVolumeClaim[],
  events: readonly CoreV1Event[] = [],
): Sandbox[] {
  const env = sts.metadata?.name ?? '';
  const desired = sts.metadata?.deletionTimestamp ? 0 : (sts.spec?.replicas ?? 1);
  const podMap = podsOf(env, pods);
  const pvcMap = pvcsOf(env, pvcs);
  const ordinals = new Set<number>([...podMap.keys(), ...pvcMap.keys()]);
  for (let i = 0; i < desired; i++) ordinals.add(i);

  return [...ordinals].sort((a, b) => a - b).map((ordinal) => {
    const pod = podMap.get(ordinal);
    const pvc = pvcMap.get(ordinal);
    let status = describeSandboxStatus(pod, pvc, events);
    if (!pod && ordinal < desired && status.phase === 'Stopped') {
      status = { phase: 'Starting', reason: 'Waiting for the pod to be created', message: `The StatefulSet controller has not created ${sandboxName(env, ordinal)} yet.` };
    }
    const restarts = (pod?.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0);
    return {
      name: sandboxName(env, ordinal),
      environment: env,
      ordinal,
      status,
      pvc: pvc?.metadata?.name ?? workspaceClaimName(env, ordinal),
      pvcPhase: pvc?.status?.phase,
      pvcUid: pvc?.metadata?.uid || undefined,
      claimedBy: pvc?.metadata?.annotations?.[ANNOTATION_CLAIMED_BY] || undefined,
      restarts,
      podIP: pod?.status?.podIP,
      node: pod?.spec?.nodeName,
      createdAt: iso(pod?.metadata?.creationTimestamp ?? pvc?.metadata?.creationTimestamp),
    };
  });
}
