/**
 * Everything between "I want to work in this sandbox" and an ssh alias that works: claim it,
 * install the user's key into it, pin the environment's host key, and write the ssh config.
 * Shared by the extension's Connect and the CLI's `terrarium ssh` / `ssh-config`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { claimSandbox, environmentOf, type ClaimResult } from '../devenv/claims';
import { getEnvironment, listSandboxes } from '../devenv/operations';
import { validateSandboxName } from '../devenv/validate';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { ensureUserKey } from '../ssh/keys';
import { pinHostKey } from '../ssh/knownhosts';
import {
  ensureInclude, hostAlias, hostKeyAlias, sshPaths, writeEnvironmentConfig, type IncludeResult, type ProxyLauncher,
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
}

export interface EnvironmentSshConfig {
  environment: string;
  /** The generated per-environment file. */
  file: string;
  /** `ssh -F <standalone> <alias>` works from any shell. */
  standalone: string;
  include: IncludeResult | undefined;
  aliases: Record<string, string>;
  identityFile: string;
  publicKey: string;
}

/** Pins the host key and writes the ssh config of every sandbox of an environment. */
export async function writeSshConfig(cluster: Cluster, environment: string, opts: SshConfigOptions): Promise<EnvironmentSshConfig> {
  const env = await getEnvironment(cluster, environment);
  if (!env.hostPublicKey) {
    throw new TerrariumError('NotReady', `Environment ${environment} has no host key yet, so its sandboxes cannot be verified.`,
      'Re-apply the environment (terrarium env create NAME) to create its host key Secret.');
  }
  const key = await ensureUserKey(opts.stateDir);
  const paths = sshPaths(opts.stateDir);
  pinHostKey(paths.knownHosts, hostKeyAlias(cluster.context, cluster.namespace, environment), env.hostPublicKey, { repin: opts.repin });
  const sandboxes = (await listSandboxes(cluster, environment)).map((s) => s.name);
  const file = writeEnvironmentConfig(paths, {
    context: cluster.context, namespace: cluster.namespace, environment, sandboxes,
    identityFile: key.privateKeyPath, knownHostsFile: paths.knownHosts, launcher: opts.proxy, kubeconfig: cluster.kubeconfigPath,
  });
  const include = opts.noInclude ? undefined : ensureInclude(opts.sshConfigFile ?? join(opts.homeDir ?? homedir(), '.ssh', 'config'), paths);
  return {
    environment, file, standalone: paths.standalone, include, identityFile: key.privateKeyPath, publicKey: key.publicKey,
    aliases: Object.fromEntries(sandboxes.map((s) => [s, hostAlias(cluster.context, cluster.namespace, s)])),
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
}

/** Claim (if needed), install the key, pin the host key, write the config: ready for `ssh <alias>`. */
export async function prepareConnection(cluster: Cluster, sandbox: string, opts: PrepareOptions): Promise<PreparedConnection> {
  validateSandboxName(sandbox);
  const environment = environmentOf(sandbox);
  const key = await ensureUserKey(opts.stateDir);
  const claim = await claimSandbox(cluster, { environment, sandbox, user: opts.user, publicKey: key.publicKey, signal: opts.signal });
  const cfg = await writeSshConfig(cluster, environment, opts);
  const alias = cfg.aliases[sandbox] ?? hostAlias(cluster.context, cluster.namespace, sandbox);
  const included = cfg.include?.installed === true;
  const configFile = included ? cfg.include!.file : cfg.standalone;
  const usesDefault = included && !opts.sshConfigFile;
  return {
    sandbox, environment, alias, configFile, includeInstalled: included,
    fallbackReason: cfg.include && !cfg.include.installed ? cfg.include.reason : undefined,
    sshCommand: usesDefault ? ['ssh', alias] : ['ssh', '-F', configFile, alias],
    claim,
  };
}
