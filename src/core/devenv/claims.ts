/**
 * Claims: a sandbox assigned to a user, recorded on the sandbox's workspace PVC (it outlives the
 * pod) as annotations, written with optimistic concurrency: a PUT carrying the resourceVersion we
 * read, so of two concurrent claims on one sandbox exactly one succeeds and the other gets 409 and
 * moves on to the next free sandbox.
 */
import type { V1PersistentVolumeClaim, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError, TerrariumError } from '../kube/errors';
import { audited, sshKeyFingerprint } from '../audit/auditor';
import { execRunner, type ExecRunner } from '../kube/exec';
import { listAll } from '../kube/list';
import { describeNotReady, isPodReady } from '../tunnel/diagnose';
import { terminalSafe } from '../text/terminalSafe';

export const CLAIMED_BY = 'terrarium.dev/claimed-by';
export const CLAIMED_AT = 'terrarium.dev/claimed-at';

export interface Claim {
  user: string;
  /** ISO timestamp of the claim. */
  at?: string;
}

export interface SandboxClaimState {
  sandbox: string;
  pvc: string;
  ordinal: number;
  ready: boolean;
  /** Why it is not ready, for messages ("Pending (Unschedulable)"). */
  notReadyReason?: string;
  claim?: Claim;
}

export interface ClaimOptions {
  environment: string;
  user: string;
  /** Claim this sandbox rather than any free one. */
  sandbox?: string;
  /** Installed into the sandbox's workspace (authorized_keys) after the claim. */
  publicKey?: string;
  /** When no sandbox is free, add one replica (warm pool) and claim it once Ready. */
  scaleUp?: boolean;
  /** Upper bound for scaling up (default 20). */
  maxReplicas?: number;
  /** How long to wait for a sandbox to become Ready (after scale-up, or before installing a key). Default 120 s. */
  waitReadyMs?: number;
  signal?: AbortSignal;
  /** Seams for tests. */
  exec?: ExecRunner;
  now?: () => Date;
}

export interface ClaimResult {
  environment: string;
  sandbox: string;
  pvc: string;
  user: string;
  claimedAt: string;
  /** The user already held this claim. */
  existing: boolean;
  /** A replica was added to make room. */
  scaledUp: boolean;
  keyInstalled: boolean;
}

const USER_RE = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateUser(user: string): string {
  if (!USER_RE.test(user)) {
    throw new TerrariumError('InvalidInput', `"${user.slice(0, 64)}" is not a usable user name for a claim.`,
      'Use letters, digits and . _ @ + - (at most 128 characters), e.g. --user alice.');
  }
  return user;
}

/** The workspace PVC of a sandbox pod (StatefulSet volumeClaimTemplate "workspace"). */
export function pvcNameFor(sandbox: string): string {
  return `workspace-${sandbox}`;
}

/** The environment a sandbox belongs to ("web-2" -> "web"). */
export function environmentOf(sandbox: string): string {
  const m = /^(.+)-(\d+)$/.exec(sandbox);
  if (!m) throw new TerrariumError('InvalidInput', `"${sandbox}" is not a sandbox name.`, 'Sandboxes are named <environment>-<ordinal>, e.g. web-0.');
  return m[1]!;
}

export function claimOf(pvc: V1PersistentVolumeClaim): Claim | undefined {
  const user = pvc.metadata?.annotations?.[CLAIMED_BY];
  if (!user) return undefined;
  return { user, at: pvc.metadata?.annotations?.[CLAIMED_AT] };
}

/** An ssh public key line, checked so it can be written to authorized_keys as exactly one line. */
export function validatePublicKey(key: string): string {
  const line = key.trim();
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/=]+( [^\r\n]*)?$/.test(line)) {
    throw new TerrariumError('InvalidInput', 'The public key is not a single OpenSSH public key line.',
      'Pass the contents of the .pub file (e.g. "ssh-ed25519 AAAA... you@host").');
  }
  return line;
}

// The scripts are constants: the key travels on stdin, never in argv (which shows in process lists
// and audit logs). The workspace is $HOME in the devenv image (/workspace), which also holds
// dotfiles; authorized_keys there is per sandbox, so a key never reaches another user's sandbox.
const INSTALL_KEY = `set -eu
umask 077
k=$(cat)
d="\${HOME:-/workspace}/.ssh"
f="$d/authorized_keys"
mkdir -p "$d"
chmod 700 "$d"
touch "$f"
chmod 600 "$f"
if ! grep -qxF -- "$k" "$f"; then
  if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then echo >> "$f"; fi
  printf '%s\\n' "$k" >> "$f"
fi`;

const REMOVE_KEY = `set -eu
umask 077
k=$(cat)
f="\${HOME:-/workspace}/.ssh/authorized_keys"
[ -f "$f" ] || exit 0
grep -vxF -- "$k" "$f" > "$f.terrarium-tmp" || true
chmod 600 "$f.terrarium-tmp"
mv -f "$f.terrarium-tmp" "$f"`;

/** Adds the key to the sandbox's authorized_keys (dir 0700, file 0600); idempotent. */
export async function installPublicKey(exec: ExecRunner, sandbox: string, publicKey: string, signal?: AbortSignal): Promise<void> {
  const key = validatePublicKey(publicKey);
  const r = await exec(sandbox, ['sh', '-c', INSTALL_KEY], { stdin: key + '\n', signal, timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new TerrariumError('ServerError', `Installing your SSH key in ${sandbox} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`,
      'Check that the workspace volume is writable (terrarium sandbox restart may help).');
  }
}

/** Removes the key from the sandbox's authorized_keys; idempotent. */
export async function removePublicKey(exec: ExecRunner, sandbox: string, publicKey: string, signal?: AbortSignal): Promise<void> {
  const key = validatePublicKey(publicKey);
  const r = await exec(sandbox, ['sh', '-c', REMOVE_KEY], { stdin: key + '\n', signal, timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new TerrariumError('ServerError', `Removing your SSH key from ${sandbox} failed (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 300)}`,
      'The claim was released; remove the key by hand from ~/.ssh/authorized_keys in the sandbox if it matters.');
  }
}

async function readStatefulSet(cluster: Cluster, environment: string, signal?: AbortSignal): Promise<V1StatefulSet> {
  return cluster.call({ verb: 'get', resource: 'statefulsets.apps', name: environment },
    (o) => cluster.apps.readNamespacedStatefulSet({ name: environment, namespace: cluster.namespace }, o), { signal });
}

function selectorOf(sts: V1StatefulSet): string {
  const labels = sts.spec?.selector?.matchLabels ?? {};
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

function containerOf(sts: V1StatefulSet): string {
  return sts.spec?.template?.spec?.containers?.[0]?.name ?? 'dev';
}

/** Every sandbox of an environment with its readiness and claim, by ordinal. */
export async function listClaims(cluster: Cluster, environment: string, signal?: AbortSignal): Promise<SandboxClaimState[]> {
  const sts = await readStatefulSet(cluster, environment, signal);
  return (await snapshot(cluster, environment, sts, signal)).states;
}

async function snapshot(cluster: Cluster, environment: string, sts: V1StatefulSet, signal?: AbortSignal):
  Promise<{ states: SandboxClaimState[]; pvcs: Map<string, V1PersistentVolumeClaim> }> {
  const ns = cluster.namespace;
  // The StatefulSet controller labels each workspace PVC with the selector's labels too, so one
  // selector picks this environment's pods and its workspaces (name filters below still apply).
  const labelSelector = selectorOf(sts) || undefined;
  const [pods, pvcs] = await Promise.all([
    listAll(cluster, { verb: 'list', resource: 'pods' },
      (page, o) => cluster.core.listNamespacedPod({ namespace: ns, labelSelector, ...page }, o), { signal }),
    listAll(cluster, { verb: 'list', resource: 'persistentvolumeclaims' },
      (page, o) => cluster.core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector, ...page }, o), { signal }),
  ]);
  const byName = new Map<string, V1PersistentVolumeClaim>();
  for (const p of pvcs.items) if (p.metadata?.name) byName.set(p.metadata.name, p);
  const podRe = new RegExp(`^${environment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`);
  const states: SandboxClaimState[] = [];
  const seen = new Set<string>();
  const add = (sandbox: string, ordinal: number, pod: V1Pod | undefined) => {
    const pvc = byName.get(pvcNameFor(sandbox));
    seen.add(sandbox);
    states.push({
      sandbox, pvc: pvcNameFor(sandbox), ordinal,
      ready: pod ? isPodReady(pod) : false,
      notReadyReason: pod ? (isPodReady(pod) ? undefined : describeNotReady(pod)) : 'no pod (scaled down or stopped)',
      claim: pvc ? claimOf(pvc) : undefined,
    });
  };
  for (const pod of pods.items) {
    const m = podRe.exec(pod.metadata?.name ?? '');
    if (m) add(pod.metadata!.name!, Number(m[1]), pod);
  }
  // Claimed workspaces whose pod is gone (scaled down) still belong to someone: keep them visible.
  for (const name of byName.keys()) {
    const sandbox = name.slice('workspace-'.length);
    const m = name.startsWith('workspace-') ? podRe.exec(sandbox) : null;
    if (m && !seen.has(sandbox)) add(sandbox, Number(m[1]), undefined);
  }
  states.sort((a, b) => a.ordinal - b.ordinal);
  return { states, pvcs: byName };
}

/**
 * Writes the claim annotations with the resourceVersion we read. Resolves true if the PVC is now
 * ours, false if someone else got there first.
 */
async function tryClaim(cluster: Cluster, pvc: V1PersistentVolumeClaim, user: string, at: string, signal?: AbortSignal): Promise<boolean> {
  const name = pvc.metadata!.name!;
  const current = claimOf(pvc);
  if (current && current.user !== user) return false;
  const body: V1PersistentVolumeClaim = {
    ...pvc, apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { ...pvc.metadata, annotations: { ...pvc.metadata?.annotations, [CLAIMED_BY]: user, [CLAIMED_AT]: at } },
  };
  try {
    await cluster.call({ verb: 'update', resource: 'persistentvolumeclaims', name },
      (o) => cluster.core.replaceNamespacedPersistentVolumeClaim({ name, namespace: cluster.namespace, body }, o), { signal });
    return true;
  } catch (e) {
    if (!isTerrariumError(e, 'Conflict')) throw e;
    // A retried PUT that had in fact succeeded also ends in 409: look before giving up.
    const fresh = await readPvc(cluster, name, signal);
    return fresh ? claimOf(fresh)?.user === user : false;
  }
}

async function readPvc(cluster: Cluster, name: string, signal?: AbortSignal): Promise<V1PersistentVolumeClaim | undefined> {
  try {
    return await cluster.call({ verb: 'get', resource: 'persistentvolumeclaims', name },
      (o) => cluster.core.readNamespacedPersistentVolumeClaim({ name, namespace: cluster.namespace }, o), { signal });
  } catch (e) {
    if (isTerrariumError(e, 'NotFound')) return undefined;
    throw e;
  }
}

async function waitReady(cluster: Cluster, sandbox: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 200;
  let last = 'not created yet';
  for (;;) {
    if (signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.');
    let pod: V1Pod | undefined;
    try {
      pod = await cluster.call({ verb: 'get', resource: 'pods', name: sandbox },
        (o) => cluster.core.readNamespacedPod({ name: sandbox, namespace: cluster.namespace }, o), { signal });
    } catch (e) {
      if (!isTerrariumError(e, 'NotFound')) throw e;
    }
    if (pod && isPodReady(pod)) return;
    if (pod) last = describeNotReady(pod);
    if (Date.now() + delay > deadline) {
      throw new TerrariumError('NotReady', `Sandbox ${sandbox} did not become ready within ${Math.round(timeoutMs / 1000)} s: ${last}.`,
        'See why with `terrarium status`; it stays claimed for you, so try again once it is Ready.');
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(1000, delay * 1.5);
  }
}

/** Adds one replica with the scale subresource, conditional on the version read (one per caller). */
async function scaleUpOne(cluster: Cluster, environment: string, max: number, signal?: AbortSignal): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const scale = await cluster.call({ verb: 'get', resource: 'statefulsets.apps/scale', name: environment },
      (o) => cluster.apps.readNamespacedStatefulSetScale({ name: environment, namespace: cluster.namespace }, o), { signal });
    const replicas = scale.spec?.replicas ?? 0;
    if (replicas >= max) {
      throw new TerrariumError('Conflict', `No free sandbox in environment ${environment}, and it already has the maximum of ${max} sandboxes.`,
        `Ask someone to release one (terrarium sandbox release), or raise the limit.`);
    }
    try {
      await cluster.call({ verb: 'update', resource: 'statefulsets.apps/scale', name: environment },
        (o) => cluster.apps.replaceNamespacedStatefulSetScale({ name: environment, namespace: cluster.namespace,
          body: { ...scale, apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: replicas + 1 } } }, o), { signal });
      return `${environment}-${replicas}`;
    } catch (e) {
      if (!isTerrariumError(e, 'Conflict')) throw e;
    }
  }
  throw new TerrariumError('Conflict', `Could not scale environment ${environment}: it kept changing under us.`, 'Try again in a moment.');
}

/**
 * Claims a sandbox of an environment for a user: the user's existing claim if there is one,
 * otherwise the first Ready unclaimed sandbox; optionally scales up when none is free. Installs the
 * public key (if given) into that sandbox only.
 */
export async function claimSandbox(cluster: Cluster, opts: ClaimOptions): Promise<ClaimResult> {
  return audited(cluster, { action: 'claim', target: opts.sandbox ?? opts.environment, detail: { user: opts.user, environment: opts.environment, scaleUp: opts.scaleUp } },
    () => claimOp(cluster, opts),
    (r) => ({ target: r.sandbox, detail: { user: r.user, environment: r.environment, existing: r.existing, scaledUp: r.scaledUp, keyInstalled: r.keyInstalled } }));
}

async function claimOp(cluster: Cluster, opts: ClaimOptions): Promise<ClaimResult> {
  const user = validateUser(opts.user);
  const environment = opts.environment || (opts.sandbox ? environmentOf(opts.sandbox) : '');
  if (!NAME_RE.test(environment)) {
    throw new TerrariumError('InvalidInput', `"${environment}" is not an environment name.`, 'Environment names are lowercase RFC 1123 labels, e.g. web.');
  }
  if (opts.publicKey) validatePublicKey(opts.publicKey);
  const now = opts.now ?? (() => new Date());
  const waitMs = opts.waitReadyMs ?? 120_000;
  const sts = await readStatefulSet(cluster, environment, opts.signal);
  const exec = opts.exec ?? execRunner(cluster, containerOf(sts));

  const finish = async (sandbox: string, existing: boolean, scaledUp: boolean, claimedAt: string): Promise<ClaimResult> => {
    let keyInstalled = false;
    if (opts.publicKey) {
      const publicKey = opts.publicKey;
      await audited(cluster, { action: 'key-install', target: sandbox, detail: { user, key: sshKeyFingerprint(publicKey) } }, async () => {
        await waitReady(cluster, sandbox, waitMs, opts.signal);
        await installPublicKey(exec, sandbox, publicKey, opts.signal);
      });
      keyInstalled = true;
    }
    return { environment, sandbox, pvc: pvcNameFor(sandbox), user, claimedAt, existing, scaledUp, keyInstalled };
  };

  let scaledUp = false;
  for (let round = 0; round < 4; round++) {
    const { states, pvcs } = await snapshot(cluster, environment, sts, opts.signal);

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
      if (s.claim) return finish(s.sandbox, true, false, s.claim.at ?? '');
      const at = now().toISOString();
      if (await tryClaim(cluster, pvc, user, at, opts.signal)) return finish(s.sandbox, false, false, at);
      continue; // someone changed it: look again (it may be ours, or theirs now)
    }

    const mine = states.find((x) => x.claim?.user === user);
    if (mine) return finish(mine.sandbox, true, false, mine.claim!.at ?? '');

    for (const s of states.filter((x) => x.ready && !x.claim)) {
      const pvc = pvcs.get(s.pvc);
      if (!pvc) continue;
      const at = now().toISOString();
      if (await tryClaim(cluster, pvc, user, at, opts.signal)) return finish(s.sandbox, false, scaledUp, at);
    }

    if (!opts.scaleUp) {
      const claimed = states.filter((x) => x.claim).length;
      const notReady = states.filter((x) => !x.ready && !x.claim).length;
      throw new TerrariumError('Conflict',
        `No free sandbox in environment ${environment}: ${states.length} sandbox${states.length === 1 ? '' : 'es'}, ${claimed} claimed${notReady ? `, ${notReady} not ready` : ''}.`,
        `Scale it up (terrarium env scale ${environment} ${states.length + 1}), wait for a starting one, or ask someone to release theirs.`);
    }
    const added = await scaleUpOne(cluster, environment, opts.maxReplicas ?? 20, opts.signal);
    scaledUp = true;
    await waitReady(cluster, added, waitMs, opts.signal);
  }
  throw new TerrariumError('Conflict', `No free sandbox in environment ${environment}: others claimed them while we tried.`, 'Try again in a moment.');
}

export interface ReleaseOptions {
  user: string;
  /** Removed from the sandbox's authorized_keys (best effort if the sandbox is not running). */
  publicKey?: string;
  /** Release even if someone else holds the claim. */
  force?: boolean;
  signal?: AbortSignal;
  exec?: ExecRunner;
}

export interface ReleaseResult {
  sandbox: string;
  /** Who held it (undefined: it was not claimed). */
  previousUser?: string;
  keyRemoved: boolean;
  /** Why the key could not be removed, if it could not. */
  keyWarning?: string;
}

/** Removes the claim annotations (and the user's key). Not claimed: nothing to do. */
export async function releaseSandbox(cluster: Cluster, sandbox: string, opts: ReleaseOptions): Promise<ReleaseResult> {
  return audited(cluster, { action: 'release', target: sandbox, detail: { user: opts.user, force: opts.force } }, () => releaseOp(cluster, sandbox, opts),
    (r) => ({ detail: { user: opts.user, force: opts.force, previousUser: r.previousUser ?? '(not claimed)', keyRemoved: r.keyRemoved } }));
}

async function releaseOp(cluster: Cluster, sandbox: string, opts: ReleaseOptions): Promise<ReleaseResult> {
  const user = validateUser(opts.user);
  const environment = environmentOf(sandbox);
  for (let attempt = 0; attempt < 5; attempt++) {
    const pvc = await readPvc(cluster, pvcNameFor(sandbox), opts.signal);
    if (!pvc) {
      throw new TerrariumError('NotFound', `Sandbox ${sandbox} has no workspace (PVC ${pvcNameFor(sandbox)}) in namespace ${cluster.namespace}.`,
        'List sandboxes with `terrarium status`.', { status: 404 });
    }
    const claim = claimOf(pvc);
    if (claim && claim.user !== user && !opts.force) {
      throw new TerrariumError('Forbidden', `Sandbox ${sandbox} is claimed by ${terminalSafe(claim.user)}, not by ${user}.`,
        'Only its holder releases it; pass --force if you really mean to take it away.');
    }
    if (!claim) return { sandbox, keyRemoved: false };
    const annotations = { ...pvc.metadata?.annotations };
    delete annotations[CLAIMED_BY];
    delete annotations[CLAIMED_AT];
    const body: V1PersistentVolumeClaim = { ...pvc, apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { ...pvc.metadata, annotations } };
    try {
      await cluster.call({ verb: 'update', resource: 'persistentvolumeclaims', name: pvcNameFor(sandbox) },
        (o) => cluster.core.replaceNamespacedPersistentVolumeClaim({ name: pvcNameFor(sandbox), namespace: cluster.namespace, body }, o), { signal: opts.signal });
    } catch (e) {
      if (isTerrariumError(e, 'Conflict')) continue;
      throw e;
    }
    let keyRemoved = false;
    let keyWarning: string | undefined;
    if (opts.publicKey) {
      try {
        const exec = opts.exec ?? execRunner(cluster, containerOf(await readStatefulSet(cluster, environment, opts.signal)));
        await removePublicKey(exec, sandbox, opts.publicKey, opts.signal);
        keyRemoved = true;
      } catch (e) {
        keyWarning = `Your key could not be removed from ${sandbox}: ${e instanceof TerrariumError ? e.message : String(e)}`;
      }
    }
    return { sandbox, previousUser: claim.user, keyRemoved, keyWarning };
  }
  throw new TerrariumError('Conflict', `Sandbox ${sandbox}'s workspace kept changing while releasing it.`, 'Try again in a moment.');
}
