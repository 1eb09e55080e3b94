/**
 * Who may create Job sandboxes and exec into them: the design, and the pure half of its controller
 * part. Today (ops.ts) only terrarium-admins create/delete Jobs and hold pods/exec; users see Jobs.
 *
 * Why not users yet: whoever may create a Job may run a pod as any ServiceAccount of the namespace
 * (serviceAccountName: terrarium-controller with automountServiceAccountToken: true gives the
 * controller's token, which writes Roles) and mount any Secret. Pod Security "restricted" checks
 * neither. RBAC cannot look inside the object, so opening Jobs to users takes two more pieces,
 * both enforced by the API server rather than trusted from labels a user could forge:
 *
 * 1. A ValidatingAdmissionPolicy on batch/v1 Jobs in Terrarium namespaces, for everyone but the
 *    admins group and the controller: serviceAccountName unset or "default",
 *    automountServiceAccountToken false, volumes emptyDir, secret (only Secrets the users may read:
 *    the VSO destinations) and nothing else, and the pod template's annotation
 *    terrarium.dev/created-by equal to request.userInfo.username. A Job's template is immutable
 *    after creation, and users cannot create or annotate pods, so every pod the Job controller makes
 *    from it carries a creator the API server checked.
 * 2. The controller (which already keeps each user's Role terrarium-access-<user> with pods/exec on
 *    the sandboxes they hold) adds the pods `jobPodsByUser` finds: owned (controller: true) by a Job,
 *    not finished or terminating, annotated with their creator. The grant follows the pod's life,
 *    as a claim's does.
 * Then createJob/deleteJob become user rows and the extra admin exec row goes.
 */
import { ANNOTATION_CREATED_BY } from './names';

interface PodLike {
  metadata?: { name?: string; annotations?: Record<string, string>; deletionTimestamp?: unknown; ownerReferences?: { kind?: string; controller?: boolean }[] };
  status?: { phase?: string };
}

/** user -> the running pods of Jobs they created (sorted), for the controller's access Roles. */
export function jobPodsByUser(pods: readonly PodLike[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const p of pods) {
    const m = p.metadata;
    const user = m?.annotations?.[ANNOTATION_CREATED_BY];
    if (!m?.name || !user || m.deletionTimestamp) continue;
    if (!m.ownerReferences?.some((o) => o.kind === 'Job' && o.controller === true)) continue;
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    let set = out.get(user);
    if (!set) out.set(user, (set = new Set()));
    set.add(m.name);
  }
  return new Map([...out].map(([u, s]) => [u, [...s].sort()]));
}
