/**
 * Releasing an expired claim for the controller, with `release --keep` semantics, from the claims
 * module's parts: every key goes from authorized_keys, then the claim annotations (a write
 * conditional on the version read); the workspace stays. A claim that changed since it was judged
 * idle (released, or claimed again) is left alone.
 */
import { claimOf, clearClaim, pvcNameFor, readPvc } from '../devenv/claims/record';
import { removeAllKeys } from '../devenv/claims/keys';
import { SANDBOX_CONTAINER } from '../devenv/names';
import { execRunner, type ExecRunner } from '../kube/exec';
import type { ControllerContext } from './context';

/** Resolves true when the claim (user, claimed at) was still the one judged idle and is now released. */
export async function releaseIdleClaim(ctx: ControllerContext, sandbox: string, user: string, claimedAt: number | undefined, exec?: ExecRunner): Promise<boolean> {
  const { cluster, signal } = ctx;
  const pvc = await readPvc(cluster, pvcNameFor(sandbox), signal);
  const claim = pvc && !pvc.metadata?.deletionTimestamp ? claimOf(pvc) : undefined;
  const at = claim?.at !== undefined ? Date.parse(claim.at) : undefined;
  if (!pvc || !claim || claim.user !== user || (claimedAt !== undefined && at !== claimedAt)) return false;
  // Keys first, as `release --keep` does: once the claim is gone, the next holder installs theirs.
  try {
    await removeAllKeys(exec ?? execRunner(cluster, SANDBOX_CONTAINER), sandbox, signal);
  } catch (e) {
    ctx.log(`idle: could not clear the keys of ${sandbox} (the next holder's key replaces them): ${e instanceof Error ? e.message : String(e)}`);
  }
  return clearClaim(cluster, pvc, signal);
}
