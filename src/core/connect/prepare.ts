/**
 * Everything between "I want to work in this sandbox" and an ssh alias that works: claim it,
 * install the user's key into it, pin its host key, and write the ssh config.
 * Shared by the extension's Connect and the CLI's `terrarium ssh` / `ssh-config`.
 *
 * Host keys are per sandbox and live on its workspace (manifests/image/entrypoint.sh). The client
 * reads the public half over the Kubernetes API (exec, which only the holder may) and pins it under
 * terrarium.<ctx>.<ns>.<sandbox>.<pvc uid>: a restart keeps the pin, a recycled sandbox (new PVC)
 * is pinned fresh, a key changed under the same workspace is refused. A sandbox gets a Host entry
 * only once its key is pinned under its current workspace.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { claimSandbox, environmentOf, impersonate, type ClaimResult } from '../devenv/claims';
import { SANDBOX_CONTAINER } from '../devenv/names';
import { getEnvironment, listSandboxes } from '../devenv/operations';
import type { Sandbox } from '../devenv/types';
import { validateSandboxName } from '../devenv/validate';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError, TerrariumError } from '../kube/errors';
import { execRunner, type ExecRunner } from '../kube/exec';
import { readSandboxHostKey } from '../ssh/hostkey';
import { ensureUserKey } from '../ssh/keys';
import { pinHostKey, pinnedAliases, unpinOtherWorkspaces } from '../ssh/knownhosts';
import {
  ensureInclude, hostAlias, sandboxHostKeyAlias, sshPaths, writeEnvironmentConfig, type IncludeResult, type ProxyLauncher, type TerrariumSshPaths,
} from '../ssh/sshconfig';

export interface SshConfigOptions {
  /** Terrarium's folder: keys, known_hosts and generated configs. */
  stateDir: string;
  /** The user's ssh config that gets the Include line (remote.SSH.configFile); default ~/.ssh/config. */
  sshConfigFile?: string;
  proxy: ProxyLauncher;
  /** Replace a pinned host key that changed (only on the user's explicit request). */
  repin?: boolean;
  /** Do not touch the user's ssh config (print-only use); the standalone file is still written. */
  noInclude?: boolean;
  homeDir?: string;
  signal?: AbortSignal;
  /** Read host keys as this user (impersonation): an admin acting for the holder. */
  user?: string;
  /** Seam for tests: how host keys are read (default: exec in the sandbox). */
  exec?: ExecRunner;
}

/** How one sandbox's host key fared. */
export type HostKeyOutcome =
  | { sandbox: string; alias: string; pinned: 'added' | 'unchanged' | 'replaced'; legacy?: boolean }
  | { sandbox: string; skipped: string };

export interface EnvironmentSshConfig {
  environment: string;
  /** The generated per-environment file. */
  file: string;
  /** `ssh -F <standalone> <alias>` works from any shell. */
  standalone: string;
  include: IncludeResult | undefined;
  /** Host aliases of the sandboxes that have a Host entry (their host key is pinned). */
  aliases: Record<string, string>;
  /** Per sandbox (writeSshConfig): pinned now, or skipped and why. */
  hostKeys: HostKeyOutcome[];
  identityFile: string;
  publicKey: string;
}

/** A sandbox whose key can be read now: running with a workspace we know the uid of. */
function unreadable(s: Sandbox): string | undefined {
  if (!s.pvcUid) return 'its workspace does not exist yet';
  if (s.status.phase !== 'Ready') return `it is not Ready (${s.status.phase}${s.status.reason ? `: ${s.status.reason}` : ''})`;
  return undefined;
}

interface Learner {
  /** Names the pins (context, namespace) and reads an older environment's key. */
  cluster: Cluster;
  /** Reads the key file: as the acting user. */
  exec: ExecRunner;
  paths: TerrariumSshPaths;
  environment: string;
  repin?: boolean;
  signal?: AbortSignal;
  /** The environment-wide key of an older environment, read once if needed. */
  legacy?: Promise<string | undefined>;
}

/**
 * Reads one sandbox's host key over exec and pins it under its workspace's alias (refusing a
 * changed key unless repin). An older image without a key file still presents its environment's
 * key: that one (from the StatefulSet annotation) is pinned under the sandbox's alias instead.
 */
type Pinned = Extract<HostKeyOutcome, { pinned: unknown }>;

async function learnHostKey(l: Learner, s: Sandbox): Promise<Pinned> {
  const alias = sandboxHostKeyAlias(l.cluster.context, l.cluster.namespace, s.name, s.pvcUid!);
  let key = await readSandboxHostKey(l.exec, s.name, l.signal);
  let legacy = false;
  if (key === undefined) {
    l.legacy ??= getEnvironment(l.cluster, l.environment, { signal: l.signal }).then((e) => e.hostPublicKey);
    key = await l.legacy;
    legacy = true;
    if (!key) {
      throw new TerrariumError('NotReady', `${s.name} has no host key file (~/.terrarium/ssh_host_ed25519_key.pub), so Terrarium cannot verify it.`,
        `Its image predates per-sandbox host keys: update the environment's image, then restart the sandbox (terrarium sandbox restart ${s.name}).`);
    }
  }
  const pinned = pinHostKey(l.paths.knownHosts, alias, key, { repin: l.repin });
  // The same sandbox's earlier workspaces are gone (recycled): their pins are of no use any more.
  unpinOtherWorkspaces(l.paths.knownHosts, hostAlias(l.cluster.context, l.cluster.namespace, s.name), alias);
  return { sandbox: s.name, alias, pinned, ...(legacy ? { legacy } : {}) };
}

/** The cluster host keys are read through: the acting user's (impersonation) when acting for someone. */
function readerCluster(cluster: Cluster, user: string | undefined): Cluster {
  const actAs = actAsOf(cluster, user);
  return actAs ? impersonate(cluster, actAs) : cluster;
}

/** Whom the ssh proxy must act for (its target file's actAs): someone other than the cluster already acts for. */
function actAsOf(cluster: Cluster, user: string | undefined): string | undefined {
  return user && user !== cluster.impersonatedUser ? user : undefined;
}

/**
 * Writes the environment's config: a Host entry for each sandbox whose key is pinned under its
 * current workspace (the uid in the alias), so a recycled sandbox drops out until pinned again.
 */
async function writeEnvironmentFile(cluster: Cluster, environment: string, sandboxes: Sandbox[], opts: SshConfigOptions,
  paths: TerrariumSshPaths, identityFile: string, actAs: string | undefined): Promise<{ file: string; include: IncludeResult | undefined; aliases: Record<string, string> }> {
  const pinned = pinnedAliases(paths.knownHosts);
  const hostKeyAliases: Record<string, string> = {};
  for (const s of sandboxes) {
    if (!s.pvcUid) continue;
    const alias = sandboxHostKeyAlias(cluster.context, cluster.namespace, s.name, s.pvcUid);
    if (pinned.has(alias)) hostKeyAliases[s.name] = alias;
  }
  const file = writeEnvironmentConfig(paths, {
    context: cluster.context, namespace: cluster.namespace, environment, sandboxes: sandboxes.map((s) => s.name), hostKeyAliases,
    identityFile, knownHostsFile: paths.knownHosts, launcher: opts.proxy, kubeconfig: cluster.kubeconfigPath, actAs,
  });
  const include = opts.noInclude ? undefined : ensureInclude(opts.sshConfigFile ?? join(opts.homeDir ?? homedir(), '.ssh', 'config'), paths);
  const aliases = Object.fromEntries(Object.keys(hostKeyAliases).map((s) => [s, hostAlias(cluster.context, cluster.namespace, s)]));
  return { file, include, aliases };
}

/** Runs fn over items, at most `limit` at a time, keeping the order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) { const i = next++; out[i] = await fn(items[i]!); }
  }));
  return out;
}

/**
 * `ssh-config ENV`: pins the host key of every sandbox of the environment whose key can be read
 * now (Ready, and yours: reading it is an exec only a sandbox's holder may run), then writes the
 * config. The others are skipped, each with the reason, and keep (or get) no Host entry until
 * prepared. A key that changed under the same workspace fails the command (HostKeyChanged).
 */
export async function writeSshConfig(cluster: Cluster, environment: string, opts: SshConfigOptions): Promise<EnvironmentSshConfig> {
  const key = await ensureUserKey(opts.stateDir);
  const paths = sshPaths(opts.stateDir);
  const sandboxes = await listSandboxes(cluster, environment, { signal: opts.signal });
  const reader = readerCluster(cluster, opts.user);
  const l: Learner = { cluster, exec: opts.exec ?? execRunner(reader, SANDBOX_CONTAINER), paths, environment, repin: opts.repin, signal: opts.signal };
  let changed: unknown;
  const hostKeys = await mapLimit(sandboxes, 4, async (s): Promise<HostKeyOutcome> => {
    const why = unreadable(s);
    if (why) return { sandbox: s.name, skipped: why };
    try {
      return await learnHostKey(l, s);
    } catch (e) {
      if (isTerrariumError(e, 'HostKeyChanged')) { changed ??= e; return { sandbox: s.name, skipped: e.message }; }
      if (isTerrariumError(e, 'Forbidden')) return { sandbox: s.name, skipped: 'only its holder may read its host key (claim it, or connect to it, first)' };
      if (!isTerrariumError(e) || e.code === 'Cancelled') throw e;
      return { sandbox: s.name, skipped: e.hint ? `${e.message} ${e.hint}` : e.message };
    }
  });
  if (changed) throw changed;
  const written = await writeEnvironmentFile(cluster, environment, sandboxes, opts, paths, key.privateKeyPath, actAsOf(cluster, opts.user));
  return {
    environment, file: written.file, standalone: paths.standalone, include: written.include, identityFile: key.privateKeyPath, publicKey: key.publicKey,
    aliases: written.aliases, hostKeys,
  };
}

export interface PrepareOptions extends SshConfigOptions {
  /** Act for this user (impersonation); default: yourself, as the API server knows you. */
  user?: string;
}

export interface PreparedConnection {
  sandbox: string;
  environment: string;
  alias: string;
  /** The config file ssh (and Remote-SSH) should read. */
  configFile: string;
  includeInstalled: boolean;
  fallbackReason?: string;
  /** argv a person can run in a terminal. */
  sshCommand: string[];
  claim: ClaimResult;
  /** The HostKeyAlias its key is pinned under, and whether that pin is new. */
  hostKey: { alias: string; pinned: 'added' | 'unchanged' | 'replaced' };
}

/** Claim (if needed), install the key, pin the sandbox's host key, write the config: ready for `ssh <alias>`. */
export async function prepareConnection(cluster: Cluster, sandbox: string, opts: PrepareOptions): Promise<PreparedConnection> {
  validateSandboxName(sandbox);
  const environment = environmentOf(sandbox);
  const key = await ensureUserKey(opts.stateDir);
  const claim = await claimSandbox(cluster, { environment, sandbox, user: opts.user, publicKey: key.publicKey, signal: opts.signal });
  const paths = sshPaths(opts.stateDir);
  const sandboxes = await listSandboxes(cluster, environment, { signal: opts.signal });
  const mine = sandboxes.find((s) => s.name === sandbox);
  const why = mine ? unreadable(mine) : 'it no longer exists';
  if (!mine || why) {
    throw new TerrariumError('NotReady', `${sandbox} is claimed for you, but its host key cannot be read: ${why}.`,
      'See why with `terrarium status`; it stays claimed for you, so connect again once it is Ready.');
  }
  // The exec that installed the key worked as the claim's user: read the host key as the same user.
  const reader = readerCluster(cluster, claim.actingFor);
  const learned = await learnHostKey({ cluster, exec: opts.exec ?? execRunner(reader, SANDBOX_CONTAINER), paths, environment, repin: opts.repin, signal: opts.signal }, mine);
  // ssh's ProxyCommand port-forwards as the claim's user too, so the API server checks their access.
  const cfg = await writeEnvironmentFile(cluster, environment, sandboxes, opts, paths, key.privateKeyPath, actAsOf(cluster, claim.actingFor));
  const alias = cfg.aliases[sandbox] ?? hostAlias(cluster.context, cluster.namespace, sandbox);
  const included = cfg.include?.installed === true;
  const configFile = included ? cfg.include!.file : paths.standalone;
  const usesDefault = included && !opts.sshConfigFile;
  return {
    sandbox, environment, alias, configFile, includeInstalled: included,
    fallbackReason: cfg.include && !cfg.include.installed ? cfg.include.reason : undefined,
    sshCommand: usesDefault ? ['ssh', alias] : ['ssh', '-F', configFile, alias],
    claim,
    hostKey: { alias: learned.alias, pinned: learned.pinned },
  };
}
