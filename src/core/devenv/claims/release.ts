/**
 * Releasing a sandbox. By default it is recycled: the workspace PVC is deleted while still claimed
 * (so the claim policy lets the holder do it), then the pod; the StatefulSet recreates both, so the
 * next holder gets an empty workspace (no files, no keys, no planted ~/.ssh/rc) and a new pod.
 * `keep` keeps the workspace for the same user's return: every key is removed, then the claim.
 * Someone else's claim needs `force` (what admins do; the claim policy enforces it server-side).
 */
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Cluster } from '../../kube/cluster';
import { isTerrariumError, TerrariumError } from '../../kube/errors';
import { execRunner, type ExecRunner } from '../../kube/exec';
import { kubeOp, OPS } from '../../kube/ops';
import { audited } from '../../audit/auditor';
import { terminalSafe } from '../../text/terminalSafe';
import { SANDBOX_CONTAINER } from '../names';
import { actingAs } from './acting';
import { removeAllKeys } from './keys';
import { claimOf, clearClaim, environmentOf, pvcNameFor, readPvc } from './record';

export interface ReleaseOptions {
  /** Act for this user (impersonation, checked by the API server); default: yourself. */
  user?: string;
  /** Release even if someone else holds the claim (admins). */
  force?: boolean;
  /** Keep the workspace (only the claim and every key go); default: recycle it. */
  keep?: boolean;
  /** Back the workspace up into this file (tar.gz, with FILE.sha256) before anything changes. */
  backupFile?: string;
  /** Ignored: release removes every key, not only the caller's. Kept for older callers. */
  publicKey?: string;
  signal?: AbortSignal;
  exec?: ExecRunner;
}

export interface ReleaseResult {
  sandbox: string;
  /** recycled: workspace and pod deleted (recreated empty); kept: claim and keys removed; not-claimed: nothing to do. */
  action: 'recycled' | 'kept' | 'not-claimed';
  /** Who held it (undefined: it was not claimed). */
  previousUser?: string;
  /** Who released it (the API server's name; the impersonated user when acting for someone). */
  user: string;
  actingFor?: string;
  /** Why `user` is not the API server's answer (a server without SelfSubjectReview), when it is not. */
  identityNote?: string;
  /** The workspace PVC was deleted (recycle). */
  workspaceDeleted: boolean;
  /** The pod was deleted (recycle); false when it was not running. */
  podDeleted: boolean;
  /** Every key is gone from authorized_keys (recycle: with the workspace). */
  keysRemoved: boolean;
  /** Same as keysRemoved (older callers). */
  keyRemoved: boolean;
  /** Why the keys could not be removed (keep, sandbox not running). */
  keyWarning?: string;
  backup?: { file: string; bytes: number; sha256: string };
}

export async function releaseSandbox(cluster: Cluster, sandbox: string, opts: ReleaseOptions = {}): Promise<ReleaseResult> {
  return audited(cluster, { action: 'release', target: sandbox, detail: { user: opts.user, force: opts.force, keep: opts.keep } }, () => releaseOp(cluster, sandbox, opts),
    (r) => ({ detail: { user: r.user, actingFor: r.actingFor, force: opts.force, action: r.action, previousUser: r.previousUser ?? '(not claimed)', keysRemoved: r.keysRemoved, backup: r.backup?.sha256 } }));
}

async function releaseOp(base: Cluster, sandbox: string, opts: ReleaseOptions): Promise<ReleaseResult> {
  environmentOf(sandbox); // validates the name
  const { cluster, identity, actingFor } = await actingAs(base, opts.user, opts.signal);
  const user = identity.username;
  const signal = opts.signal;
  const pvcName = pvcNameFor(sandbox);
  const base0 = { sandbox, user, ...(actingFor ? { actingFor } : {}), ...(identity.note ? { identityNote: identity.note } : {}), workspaceDeleted: false, podDeleted: false, keysRemoved: false, keyRemoved: false };
  let backup: ReleaseResult['backup'];
  for (let attempt = 0; attempt < 5; attempt++) {
    const pvc = await readPvc(cluster, pvcName, signal);
    if (!pvc || pvc.metadata?.deletionTimestamp) {
      throw new TerrariumError('NotFound', `Sandbox ${sandbox} has no workspace (PVC ${pvcName}) in namespace ${cluster.namespace}${pvc ? ' (it is being deleted)' : ''}.`,
        'List sandboxes with `terrarium status`.', { status: 404 });
    }
    const claim = claimOf(pvc);
    if (!claim) return { ...base0, action: 'not-claimed' };
    if (claim.user !== user && !opts.force) {
      throw new TerrariumError('Forbidden', `Sandbox ${sandbox} is claimed by ${terminalSafe(claim.user)}, not by ${terminalSafe(user)}.`,
        'Only its holder releases it; an admin takes it away with `terrarium sandbox release SANDBOX --force`.');
    }
    if (opts.backupFile && !backup) {
      // Before anything changes: a failed backup leaves the sandbox as it was.
      const { backupWorkspaceToFile } = await import('../../workspace/backup');
      const b = await backupWorkspaceToFile(cluster, sandbox, opts.backupFile, { signal });
      backup = { file: b.file, bytes: b.bytes, sha256: b.sha256 };
    }
    const withBackup = backup ? { backup } : {};
    if (opts.keep) {
      // The holder's own release: keys first (once the claim is gone, someone else may claim and
      // install theirs). Taking someone else's claim away: the claim first, so the API server (the
      // claim policy) decides before anything of theirs is touched.
      const forced = claim.user !== user;
      if (forced && !(await clearClaim(cluster, pvc, signal))) continue;
      let keyWarning: string | undefined;
      let keysRemoved = false;
      try {
        await removeAllKeys(opts.exec ?? execRunner(cluster, SANDBOX_CONTAINER), sandbox, signal);
        keysRemoved = true;
      } catch (e) {
        keyWarning = `The keys could not be removed from ${sandbox} (the next holder's key replaces them): ${e instanceof TerrariumError ? e.message : String(e)}`;
      }
      if (!forced && !(await clearClaim(cluster, pvc, signal))) continue;
      return { ...base0, action: 'kept', previousUser: claim.user, keysRemoved, keyRemoved: keysRemoved, ...(keyWarning ? { keyWarning } : {}), ...withBackup };
    }
    if (!(await deleteClaimedPvc(cluster, pvc, signal))) continue;
    const podDeleted = await deletePod(cluster, sandbox, signal);
    return { ...base0, action: 'recycled', previousUser: claim.user, workspaceDeleted: true, podDeleted, keysRemoved: true, keyRemoved: true, ...withBackup };
  }
  throw new TerrariumError('Conflict', `Sandbox ${sandbox}'s workspace kept changing while releasing it.`, 'Try again in a moment.');
}

/** Deletes the PVC as read (uid and resourceVersion preconditions): false when it changed meanwhile. */
async function deleteClaimedPvc(cluster: Cluster, pvc: V1PersistentVolumeClaim, signal?: AbortSignal): Promise<boolean> {
  const name = pvc.metadata!.name!;
  try {
    await kubeOp(cluster, OPS.deletePVC, { name },
      (o) => cluster.core.deleteNamespacedPersistentVolumeClaim({ name, namespace: cluster.namespace,
        body: { preconditions: { uid: pvc.metadata?.uid, resourceVersion: pvc.metadata?.resourceVersion } } }, o), { signal });
    return true;
  } catch (e) {
    if (isTerrariumError(e, 'Conflict')) return false;
    throw e;
  }
}

/** Deletes the sandbox's pod so the StatefulSet recreates it (and its workspace); false when there was none. */
async function deletePod(cluster: Cluster, sandbox: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await kubeOp(cluster, OPS.deletePod, { name: sandbox },
      (o) => cluster.core.deleteNamespacedPod({ name: sandbox, namespace: cluster.namespace }, o), { signal });
    return true;
  } catch (e) {
    if (isTerrariumError(e, 'NotFound')) return false;
    throw e;
  }
}
