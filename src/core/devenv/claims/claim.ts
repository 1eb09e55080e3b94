/**
 * Claiming a sandbox: the caller's existing claim if there is one, otherwise a sandbox that is
 * Ready now and unclaimed: the lowest ordinal on a quiet pool, one of the low ones at random while
 * others claim too (claimOrder), optionally scaling up when none is free. A claim that takes a free
 * sandbox costs two writes: the PVC patch (the record) and the exec that installs the key, which
 * replaces any keys a previous holder left. Reads: the review of who we are (cached), one
 * metadata-only LIST of the workspaces and one GET of the chosen pod (leanLook.ts); the full look
 * (every pod and PVC) only when that finds nothing free. Restoring the warm pool comes after, in the background.
 */
import type { Cluster } from '../../kube/cluster';
import { TerrariumError, isTerrariumError } from '../../kube/errors';
import { execRunner, type ExecRunner } from '../../kube/exec';
import { kubeOp, OPS } from '../../kube/ops';
import { waitPodReady } from '../../kube/waitReady';
import { audited, sshKeyFingerprint } from '../../audit/auditor';
import { terminalSafe } from '../../text/terminalSafe';
import { SANDBOX_CONTAINER } from '../names';
import { findStatefulSet, noEnvironment } from '../statefulSet';
import { actingAs } from './acting';
import { installPublicKey, validatePublicKey } from './keys';
import { lookAtWorkspaces, patchClaim, podReadyNow } from './leanLook';
import { environmentOf, pvcNameFor, snapshot, validateEnvironment, writeClaim } from './record';
import { restoreWarmSparesLater } from './warmPool';

export interface ClaimOptions {
  environment: string;
  /** Act for this user (impersonation, checked by the API server); default: yourself. */
  user?: string;
  /** Claim this sandbox rather than any free one. */
  sandbox?: string;
  /** Installed into the sandbox's workspace (authorized_keys) after the claim. */
  publicKey?: string;
  /** When no sandbox is free, add one replica and claim it once Ready. */
  scaleUp?: boolean;
  /** Upper bound for scaling up (default 20). */
  maxReplicas?: number;
  /** How long to wait for a sandbox to become Ready (after scale-up, or a named one still starting). Default 120 s. */
  waitReadyMs?: number;
  /**
   * After a claim that took a free sandbox, restore the environment's warm spares in the background
   * when no controller does (default true). The CLI passes false and runs restoreWarmSpares itself
   * after printing the result.
   */
  restoreWarmPool?: boolean;
  signal?: AbortSignal;
  /** Seams for tests. */
  exec?: ExecRunner;
  now?: () => Date;
}

export interface ClaimResult {
  environment: string;
  sandbox: string;
  pvc: string;
  /** The holder: the API server's name for the user (or the impersonated user). */
  user: string;
  /** Where `user` came from: the API server, or the kubeconfig on a server without SelfSubjectReview. */
  identitySource: 'api-server' | 'kubeconfig';
  /** Why the identity is not the API server's, when it is not. */
  identityNote?: string;
  /** Set when an admin acted for someone else (impersonation). */
  actingFor?: string;
  claimedAt: string;
  /** The user already held this claim. */
  existing: boolean;
  /** A replica was added to make room. */
  scaledUp: boolean;
  keyInstalled: boolean;
  /** authorized_keys was replaced (a new holder): keys of anyone before are gone. */
  keysReplaced: boolean;
}

/**
 * With the platform installed, exec on a sandbox is the holder's only once the Terrarium controller
 * has granted it (Role terrarium-access-<user>, within a second of the claim): a 403 right after the
 * claim write is retried for a few seconds instead of failing the claim.
 */
async function afterAccessGrant<T>(fn: () => Promise<T>, signal?: AbortSignal, waitMs = 3000): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 100)) {
    try {
      return await fn();
    } catch (e) {
      if (!isTerrariumError(e, 'Forbidden') || signal?.aborted) throw e;
      if (Date.now() + delay > deadline) {
        throw new TerrariumError('Forbidden', `${e.message} The Terrarium controller grants exec to a sandbox's holder within a second of the claim, and it has not.`,
          'Check that the controller runs: terrarium doctor', { cause: e, status: e.status });
      }
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

export async function claimSandbox(cluster: Cluster, opts: ClaimOptions): Promise<ClaimResult> {
  return audited(cluster, { action: 'claim', target: opts.sandbox ?? opts.environment, detail: { user: opts.user, environment: opts.environment, scaleUp: opts.scaleUp } },
    () => claimOp(cluster, opts),
    (r) => ({ target: r.sandbox, detail: { user: r.user, actingFor: r.actingFor, environment: r.environment, existing: r.existing, scaledUp: r.scaledUp, keyInstalled: r.keyInstalled } }));
}

async function claimOp(base: Cluster, opts: ClaimOptions): Promise<ClaimResult> {
  const environment = validateEnvironment(opts.environment || (opts.sandbox ? environmentOf(opts.sandbox) : ''));
  if (opts.sandbox && environmentOf(opts.sandbox) !== environment) {
    throw new TerrariumError('InvalidInput', `Sandbox ${opts.sandbox} is not in environment ${environment}.`, `Name a sandbox of ${environment}, e.g. ${environment}-0.`);
  }
  if (opts.publicKey) validatePublicKey(opts.publicKey);
  const { cluster, identity, actingFor } = await actingAs(base, opts.user, opts.signal);
  const user = identity.username;
  const now = opts.now ?? (() => new Date());
  const waitMs = opts.waitReadyMs ?? 120_000;
  const signal = opts.signal;
  const exec = opts.exec ?? execRunner(cluster, SANDBOX_CONTAINER);

  const finish = async (sandbox: string, existing: boolean, scaledUp: boolean, claimedAt: string, ready: boolean): Promise<ClaimResult> => {
    let keyInstalled = false;
    if (opts.publicKey) {
      const publicKey = opts.publicKey;
      await audited(cluster, { action: 'key-install', target: sandbox, detail: { user, key: sshKeyFingerprint(publicKey), replace: !existing } }, async () => {
        // A sandbox taken now was Ready a moment ago: no need to ask again.
        if (!ready) await waitPodReady(cluster, sandbox, { timeoutMs: waitMs, signal, hint: 'See why with `terrarium status`; it stays claimed for you, so try again once it is Ready.' });
        await afterAccessGrant(() => installPublicKey(exec, sandbox, publicKey, { replace: !existing, signal }), signal);
      });
      keyInstalled = true;
    }
    if (!existing && opts.restoreWarmPool !== false) restoreWarmSparesLater(cluster, environment);
    return {
      environment, sandbox, pvc: pvcNameFor(sandbox), user, identitySource: identity.source,
      ...(identity.note ? { identityNote: identity.note } : {}), ...(actingFor ? { actingFor } : {}),
      claimedAt, existing, scaledUp, keyInstalled, keysReplaced: keyInstalled && !existing,
    };
  };

  let scaledUp = false;
  for (let round = 0; round < MAX_LOOKS; round++) {
    if (!opts.sandbox) {
      const lean = await leanClaim(cluster, environment, user, now, signal);
      if (lean.kind === 'claimed') return finish(lean.sandbox, lean.existing, scaledUp, lean.at, lean.ready);
      if (lean.kind === 'lost') continue; // look again
      // Nothing free and Ready by the cheap look: the full look below decides (scale up, or say why).
    }
    const { states, pvcs } = await snapshot(cluster, environment, signal);
    if (!states.length && !(await findStatefulSet(cluster, environment, signal))) throw noEnvironment(cluster, environment);

    if (opts.sandbox) {
      const s = states.find((x) => x.sandbox === opts.sandbox);
      const pvc = pvcs.get(pvcNameFor(opts.sandbox));
      if (!s || !pvc) {
        throw new TerrariumError('NotFound', `Sandbox ${opts.sandbox} does not exist in environment ${environment}.`,
          'List sandboxes with `terrarium status`.', { status: 404 });
      }
      if (s.claim && s.claim.user !== user) {
        throw new TerrariumError('Conflict', `Sandbox ${opts.sandbox} is claimed by ${terminalSafe(s.claim.user)}${s.claim.at ? ` since ${terminalSafe(s.claim.at)}` : ''}.`,
          `Claim another one with \`terrarium sandbox claim ${environment}\`.`);
      }
      if (s.claim) return finish(s.sandbox, true, false, s.claim.at ?? '', s.ready);
      if (!s.ready) {
        // Only a sandbox that is Ready now is taken: wait for this one, then look again.
        await waitPodReady(cluster, s.sandbox, { timeoutMs: waitMs, signal, hint: `Claim another one with \`terrarium sandbox claim ${environment}\`, or see why with \`terrarium status\`.` });
        continue;
      }
      const at = now().toISOString();
      if (await writeClaim(cluster, pvc, user, at, signal)) return finish(s.sandbox, false, false, at, true);
      continue; // someone changed it: look again (it may be ours, or theirs now)
    }

    const mine = states.find((x) => x.claim?.user === user);
    if (mine) return finish(mine.sandbox, true, false, mine.claim!.at ?? '', mine.ready);

    // On a quiet pool the lowest free ordinal; when others are claiming (a claim in the last few
    // seconds, or a 409 here) each claimer walks the free sandboxes in its own order (claimOrder).
    // A 409 moves on to the next candidate from the same look, but only STALE_TRIES times: under
    // load a look is soon out of date and walking it costs a refused PUT per step (19 writes per
    // claim measured at 50 claims/s); two reads for a fresh look are cheaper.
    const free = states.filter((x) => x.ready && !x.claim);
    let order = busyPool(states, now()) ? claimOrder(free) : free;
    let lost = 0;
    for (let i = 0; i < order.length; i++) {
      const s = order[i]!;
      const pvc = pvcs.get(s.pvc);
      if (!pvc) continue;
      const at = now().toISOString();
      if (await writeClaim(cluster, pvc, user, at, signal)) return finish(s.sandbox, false, scaledUp, at, true);
      if (order === free) order = [...free.slice(0, i + 1), ...claimOrder(free.slice(i + 1))];
      if (++lost >= STALE_TRIES) break;
    }
    if (lost >= STALE_TRIES) continue; // look again

    if (!opts.scaleUp) {
      const claimed = states.filter((x) => x.claim).length;
      const notReady = states.filter((x) => !x.ready && !x.claim).length;
      throw new TerrariumError('Conflict',
        `No free sandbox in environment ${environment}: ${states.length} sandbox${states.length === 1 ? '' : 'es'}, ${claimed} claimed${notReady ? `, ${notReady} not ready` : ''}.`,
        `Scale it up (terrarium env scale ${environment} ${states.length + 1}), wait for a starting one, or ask someone to release theirs.`);
    }
    const added = await scaleUpOne(cluster, environment, opts.maxReplicas ?? 20, signal);
    scaledUp = true;
    await waitPodReady(cluster, added, { timeoutMs: waitMs, signal, hint: 'See why with `terrarium status`, then claim again.' });
  }
  throw new TerrariumError('Conflict', `No free sandbox in environment ${environment}: others claimed them while we tried.`, 'Try again in a moment.');
}

type LeanOutcome =
  | { kind: 'claimed'; sandbox: string; at: string; existing: boolean; ready: boolean }
  | { kind: 'lost' }
  | { kind: 'none' };

/**
 * A claim by the cheap look (leanLook.ts): the caller's own claim if any, else free workspaces in
 * claimOrder, each checked Ready with one GET of its pod before the conditional PATCH. After
 * STALE_TRIES lost races it asks for a new look; after NOT_READY_TRIES candidates that are not
 * Ready (a pool still starting) it leaves the decision to the full look, which sees every pod at once.
 */
async function leanClaim(cluster: Cluster, environment: string, user: string, now: () => Date, signal?: AbortSignal): Promise<LeanOutcome> {
  const look = await lookAtWorkspaces(cluster, environment, signal);
  const mine = look.find((w) => w.claim?.user === user);
  if (mine) return { kind: 'claimed', sandbox: mine.sandbox, at: mine.claim!.at ?? '', existing: true, ready: false };
  const free = look.filter((w) => !w.claim && !w.deleting);
  let order = busyPool(look, now()) ? claimOrder(free) : free;
  let lost = 0, notReady = 0;
  for (let i = 0; i < order.length; i++) {
    const w = order[i]!;
    if (!(await podReadyNow(cluster, w.sandbox, signal))) {
      if (++notReady >= NOT_READY_TRIES) return { kind: 'none' };
      continue;
    }
    const at = now().toISOString();
    if (await patchClaim(cluster, w, user, at, signal)) return { kind: 'claimed', sandbox: w.sandbox, at, existing: false, ready: true };
    if (order === free) order = [...free.slice(0, i + 1), ...claimOrder(free.slice(i + 1))];
    if (++lost >= STALE_TRIES) return { kind: 'lost' };
  }
  return { kind: 'none' };
}
/** Candidates found not Ready by the cheap look before the full look takes over. */
const NOT_READY_TRIES = 3;

/**
 * The order one claimer tries the free Ready sandboxes in. Everyone taking the lowest ordinal first
 * makes concurrent claimers race for the same sandbox (each loser pays a PUT and walks a stale list:
 * 23 writes per claim at 50 claims/s), so each claimer shuffles within windows of the free list
 * taken in ordinal order. The first window is the lower half of the free sandboxes (at least 8), so
 * claims still fill from the low ordinals and the warm pool's trimming, which removes unclaimed
 * sandboxes from the tail, keeps finding an unclaimed tail.
 */
export function claimOrder<T extends { ordinal: number }>(free: T[], random: () => number = Math.random): T[] {
  const sorted = [...free].sort((a, b) => a.ordinal - b.ordinal);
  const out: T[] = [];
  for (let start = 0; start < sorted.length;) {
    const rest = sorted.length - start;
    const size = Math.min(rest, Math.max(CLAIM_WINDOW_MIN, Math.ceil(rest / 2)));
    const window = sorted.slice(start, start + size);
    for (let i = window.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [window[i], window[j]] = [window[j]!, window[i]!];
    }
    out.push(...window);
    start += size;
  }
  return out;
}
/** Refused claim writes (409) on one look of the pool before looking again. */
export const STALE_TRIES = 2;
/** Looks at the pool before giving up (each after STALE_TRIES lost races, or a scale-up). */
const MAX_LOOKS = 12;
/** The smallest window a claimer chooses in at random (claimOrder). */
export const CLAIM_WINDOW_MIN = 8;
/** A claim recorded this recently means others are claiming now: spread (claimOrder). */
export const BUSY_WITHIN_MS = 5_000;

/**
 * Whether others are claiming in this environment now: a claim made in the last BUSY_WITHIN_MS
 * (by its claimed-at, written by the claimer's clock, so skew only changes the order we try).
 */
export function busyPool(states: { claim?: { at?: string } }[], now: Date): boolean {
  const t = now.getTime();
  return states.some((s) => {
    const at = s.claim?.at ? Date.parse(s.claim.at) : NaN;
    return Number.isFinite(at) && Math.abs(t - at) < BUSY_WITHIN_MS;
  });
}

/** Adds one replica with the scale subresource, conditional on the version read (one per caller). */
async function scaleUpOne(cluster: Cluster, environment: string, max: number, signal?: AbortSignal): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const scale = await kubeOp(cluster, OPS.readScale, { name: environment },
      (o) => cluster.apps.readNamespacedStatefulSetScale({ name: environment, namespace: cluster.namespace }, o), { signal });
    const replicas = scale.spec?.replicas ?? 0;
    if (replicas >= max) {
      throw new TerrariumError('Conflict', `No free sandbox in environment ${environment}, and it already has the maximum of ${max} sandboxes.`,
        'Ask someone to release one (terrarium sandbox release), or raise the limit.');
    }
    try {
      await kubeOp(cluster, OPS.updateScaleForClaim, { name: environment },
        (o) => cluster.apps.replaceNamespacedStatefulSetScale({ name: environment, namespace: cluster.namespace,
          body: { ...scale, apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: replicas + 1 } } }, o), { signal });
      return `${environment}-${replicas}`;
    } catch (e) {
      if (!(e instanceof TerrariumError && e.code === 'Conflict')) throw e;
    }
  }
  throw new TerrariumError('Conflict', `Could not scale environment ${environment}: it kept changing under us.`, 'Try again in a moment.');
}
