/** The cluster a command talks to, from the global options (--kubeconfig, --context, --namespace). */
import { discoverKubeconfig, openCluster, type KubeconfigDiscovery } from '../core/kube/kubeconfig';
import type { Cluster } from '../core/kube/cluster';
import { validateNamespace } from '../core/devenv/validate';
import type { GlobalOptions } from './args';
import type { CommandContext } from './commandTable';

export function discoverFor(globals: GlobalOptions, ctx: Pick<CommandContext, 'env' | 'homeDir'>): KubeconfigDiscovery {
  return discoverKubeconfig({ explicitPath: globals.kubeconfig, env: ctx.env, homeDir: ctx.homeDir });
}

export function clusterFor(globals: GlobalOptions, ctx: Pick<CommandContext, 'env' | 'homeDir'>, discovery = discoverFor(globals, ctx)): Cluster {
  if (globals.namespace !== undefined) validateNamespace(globals.namespace);
  return openCluster({ discovery, context: globals.context, namespace: globals.namespace, env: ctx.env, homeDir: ctx.homeDir });
}

/** ` in namespace "devenv" (context "kind")`, for messages. */
export function where(cluster: Cluster): string {
  return ` in namespace "${cluster.namespace}" (context "${cluster.context}")`;
}
