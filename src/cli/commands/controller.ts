/**
 * `terrarium controller`: the in-cluster Terrarium controller (per-user sandbox access, secrets
 * read scope, grant/revoke Events, warm pool), run as a Deployment with its own ServiceAccount or
 * locally against a kubeconfig. One line per action on stdout; never secret material.
 */
import { hostname } from 'node:os';
import { runController } from '../../core/controller/controller';
import { clusterFor } from '../cluster';
import type { CommandHandler } from '../commandTypes';
import { UsageError } from '../args';
import { hasControlChars } from '../../core/text/controlChars';

export const controllerCommand: CommandHandler = async ({ globals, values, usage }, ctx) => {
  // --in-cluster: the pod's ServiceAccount, whatever KUBECONFIG or ~/.kube says.
  const inCluster = values['in-cluster'] === true;
  if (inCluster && (globals.kubeconfig || !ctx.env.KUBERNETES_SERVICE_HOST)) {
    throw new UsageError(globals.kubeconfig ? '--in-cluster and --kubeconfig exclude each other.' : '--in-cluster works only in a pod (KUBERNETES_SERVICE_HOST is not set).', usage);
  }
  const cluster = inCluster
    ? clusterFor(globals, { ...ctx, env: { ...ctx.env, KUBECONFIG: undefined }, homeDir: '/nonexistent' })
    : clusterFor(globals, ctx);
  const id = (values.id as string | undefined) ?? ctx.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  if (!id || id.length > 128 || hasControlChars(id)) throw new UsageError('--id needs 1 to 128 printable characters.', usage);
  const log = (line: string) => { ctx.stdout.write(`${ctx.now().toISOString()} ${line}\n`); };
  log(`terrarium controller ${JSON.stringify(id)} starting (namespace ${JSON.stringify(cluster.namespace)}, context ${JSON.stringify(cluster.context)}${values.once ? ', once' : ''})`);
  await runController({ cluster, identity: id, log, signal: ctx.signal, now: ctx.now, once: values.once === true });
  return 0;
};
