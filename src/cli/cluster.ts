/** The cluster a command talks to, from the global options (--kubeconfig, --context, --namespace). */
import type { Writable } from 'node:stream';
import { discoverKubeconfig, noticesFor, openCluster, type KubeconfigDiscovery, type SecurityNotice } from '../core/kube/kubeconfig';
import type { Cluster } from '../core/kube/cluster';
import { validateNamespace } from '../core/devenv/validate';
import type { GlobalOptions } from './args';
import type { CommandContext } from './commandTypes';

export function discoverFor(globals: GlobalOptions, ctx: Pick<CommandContext, 'env' | 'homeDir'>): KubeconfigDiscovery {
  return discoverKubeconfig({ explicitPath: globals.kubeconfig, env: ctx.env, homeDir: ctx.homeDir });
}

/** Opens the cluster and tells the user, on stderr, what they should know about its context (see reportNotices). */
export function clusterFor(globals: GlobalOptions, ctx: Pick<CommandContext, 'env' | 'homeDir'> & { stderr?: Writable }, discovery = discoverFor(globals, ctx)): Cluster {
  if (globals.namespace !== undefined) validateNamespace(globals.namespace);
  const cluster = openCluster({ discovery, context: globals.context, namespace: globals.namespace, env: ctx.env, homeDir: ctx.homeDir });
  if (ctx.stderr) reportNotices(noticesFor(discovery, cluster.context), ctx.stderr, ctx.env);
  return cluster;
}

// Once per process and notice. Keyed by the env object run() was given: process.env for the real
// process, a fresh object for each simulated process in the in-process tests.
const shown = new WeakMap<object, Set<string>>();

/**
 * Insecure TLS is always one warning line on stderr (every command that uses the context, once per
 * process); the exec plugin a context runs only with TERRARIUM_DEBUG (agents call the CLI often and
 * most cloud contexts use one). Stdout stays clean for --json.
 */
export function reportNotices(notices: SecurityNotice[], stderr: Writable, env: NodeJS.ProcessEnv): void {
  const debug = !!env.TERRARIUM_DEBUG && env.TERRARIUM_DEBUG !== '0';
  let seen = shown.get(env);
  if (!seen) shown.set(env, (seen = new Set()));
  for (const n of notices) {
    if (n.kind === 'exec-plugin' && !debug) continue;
    const key = `${n.kind}\0${n.context}`;
    if (seen.has(key)) continue;
    seen.add(key);
    stderr.write(`terrarium: ${n.kind === 'insecure-tls' ? 'warning' : 'note'}: ${n.message}\n`);
  }
}

/** ` in namespace "devenv" (context "kind")`, for messages. */
export function where(cluster: Cluster): string {
  return ` in namespace "${cluster.namespace}" (context "${cluster.context}")`;
}
