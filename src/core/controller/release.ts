/**
 * Releasing an expired claim for the controller, with `release --keep` semantics: the claim
 * annotations go (a conditional write: a claim that changed hands since we looked is left alone),
 * then every key in the sandbox's authorized_keys; the workspace stays.
 */
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { CLAIMED_AT, CLAIMED_BY, pvcNameFor } from '../devenv/claims';
import { SANDBOX_CONTAINER } from '../devenv/names';
import { isTerrariumError } from '../kube/errors';
import { execRunner, type ExecRunner } from '../kube/exec';
import type { ControllerContext } from './context';

// TODO(wave3): use the claims module's release-keeping-the-workspace / remove-every-key functions once split.
const REMOVE_ALL_KEYS = `set -eu
f="\${HOME:-/workspace}/.ssh/authorized_keys"
[ -f "$f" ] || exit 0
: > "$f"`;

/** Resolves true when the claim was `user`'s and is now released; false when it changed meanwhile. */
export async function releaseIdleClaim(ctx: ControllerContext, sandbox: string, user: string, exec?: ExecRunner): Promise<boolean> {
  const { cluster, signal } = ctx;
  const name = pvcNameFor(sandbox);
  let pvc: V1PersistentVolumeClaim;
  try {
    pvc = await cluster.call({ verb: 'get', resource: 'persistentvolumeclaims', name },
      (o) => cluster.core.readNamespacedPersistentVolumeClaim({ name, namespace: cluster.namespace }, o), { signal });
  } catch (e) {
    if (isTerrariumError(e, 'NotFound')) return false;
    throw e;
  }
  if (pvc.metadata?.annotations?.[CLAIMED_BY] !== user) return false;
  const annotations = { ...pvc.metadata?.annotations };
  delete annotations[CLAIMED_BY];
  delete annotations[CLAIMED_AT];
  try {
    await cluster.call({ verb: 'update', resource: 'persistentvolumeclaims', name },
      (o) => cluster.core.replaceNamespacedPersistentVolumeClaim({ name, namespace: cluster.namespace,
        body: { ...pvc, apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { ...pvc.metadata, annotations } } }, o), { signal, retries: 0 });
  } catch (e) {
    if (isTerrariumError(e, 'Conflict')) return false;
    throw e;
  }
  const run = exec ?? execRunner(cluster, SANDBOX_CONTAINER);
  const r = await run(sandbox, ['sh', '-c', REMOVE_ALL_KEYS], { signal, timeoutMs: 30_000 }).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: String(e) }));
  if (r.exitCode !== 0) ctx.log(`idle: released ${sandbox} but could not clear its authorized_keys: ${r.stderr.trim().slice(0, 200)}`);
  return true;
}
