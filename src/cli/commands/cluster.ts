/** `terrarium cluster create|delete|list|start|stop [NAME]`: a local kind cluster ready for Terrarium. */
import { createInterface } from 'node:readline/promises';
import {
  createLocalCluster, DEFAULT_CLUSTER_NAME, deleteKindCluster, detectLocalTools, isProvider, kubeconfigTarget,
  listKindClusters, nodeContainerOf, PROVIDERS, startStopKindCluster, validateClusterName, contextOf, type Provider,
} from '../../core/localCluster';
import { UsageError, type GlobalOptions, type OptionValues } from '../args';
import type { CommandContext, CommandHandler } from '../commandTypes';
import { environmentJson, jsonText, safe } from '../output';
import { EXIT_USAGE } from '../report';
import { waitSeconds } from '../wait';
import { validateName } from '../../core/devenv/validate';

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);

function nameOf(positionals: string[]): string {
  const name = positionals[0] ?? DEFAULT_CLUSTER_NAME;
  validateClusterName(name);
  return name;
}

function providerOf(values: OptionValues, usage: string): Provider | undefined {
  const p = str(values.provider);
  if (p !== undefined && !isProvider(p)) throw new UsageError(`--provider takes ${PROVIDERS.join(' or ')}, not ${JSON.stringify(p)}.`, usage);
  return p as Provider | undefined;
}

async function tools(values: OptionValues, usage: string, ctx: CommandContext) {
  const t = await detectLocalTools(ctx.env, providerOf(values, usage), ctx.signal);
  for (const n of t.notes) ctx.stderr.write(`terrarium: note: ${safe(n)}\n`);
  return t;
}

const target = (globals: GlobalOptions, ctx: CommandContext) => kubeconfigTarget(globals.kubeconfig, ctx.env, ctx.homeDir);

export const clusterCreateCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const name = nameOf(positionals);
  if (globals.context) throw new UsageError(`--context does not apply: the new cluster's context is ${contextOf(name)}.`, usage);
  const environment = str(values.env) ?? 'dev';
  validateName(environment);
  const timeoutMs = waitSeconds(str(values.timeout), usage) * 1000;
  const t = await tools(values, usage, ctx);
  const kubeconfig = target(globals, ctx);
  const r = await createLocalCluster({
    name, tools: t, kubeconfig, namespace: globals.namespace, environment,
    image: str(values.image), nodeImage: str(values['node-image']), build: values['skip-build'] !== true,
    timeoutMs, signal: ctx.signal, output: ctx.stderr,
    progress: (line) => ctx.stderr.write(`terrarium: ${safe(line)}\n`),
  });
  if (globals.json) {
    ctx.stdout.write(jsonText({
      cluster: r.name, provider: r.provider, context: r.context, kubeconfig: r.kubeconfig, namespace: r.namespace,
      image: r.image, controllerImage: r.controllerImage, platformObjects: r.platformObjects,
      environment: environmentJson(r.environment), sandbox: r.sandbox, commands: r.commands,
    }));
    return 0;
  }
  const kc = globals.kubeconfig ? ` --kubeconfig ${r.kubeconfig}` : '';
  ctx.stdout.write(`Local cluster "${r.name}" is ready (kind on ${r.provider}; context ${r.context} in ${safe(r.kubeconfig)}).\n`
    + `Sandbox ${r.sandbox} of environment "${r.environment.name}" is Ready in namespace "${safe(r.namespace)}".\n`
    + `Connect: terrarium${kc} --context ${r.context} ssh ${r.sandbox}   (or open the Terrarium view in VS Code)\n`);
  return 0;
};

async function confirm(question: string, ctx: CommandContext): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question, { signal: ctx.signal })).trim());
  } finally {
    rl.close();
  }
}

export const clusterDeleteCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const name = nameOf(positionals);
  const t = await tools(values, usage, ctx);
  const what = `deleting kind cluster "${name}" deletes every environment and workspace in it (the volumes live inside its node container ${nodeContainerOf(name)})`;
  if (values.yes !== true) {
    if (!globals.json && ctx.stdin.isTTY) {
      ctx.stderr.write(`${what.charAt(0).toUpperCase()}${what.slice(1)}.\n`);
      if (!(await confirm(`Delete "${name}"? [y/N] `, ctx))) { ctx.stderr.write('Nothing was deleted.\n'); return 1; }
    } else {
      const hint = 'Add --yes to delete it (back up workspaces first with terrarium workspace backup SANDBOX -o FILE).';
      ctx.stderr.write(`terrarium: ${what}. ${hint}\n`);
      if (globals.json) ctx.stdout.write(jsonText({ error: { code: 'ConfirmationRequired', message: `${what}.`, hint } }));
      return EXIT_USAGE;
    }
  }
  const argv = await deleteKindCluster(t, name, { kubeconfig: target(globals, ctx), signal: ctx.signal, onOutput: (b) => ctx.stderr.write(b) });
  if (globals.json) { ctx.stdout.write(jsonText({ cluster: name, provider: t.provider, deleted: true, commands: [argv] })); return 0; }
  ctx.stdout.write(`Deleted kind cluster "${name}" with its environments and workspaces; context ${contextOf(name)} was removed from ${safe(target(globals, ctx))}.\n`);
  return 0;
};

export const clusterListCommand: CommandHandler = async ({ globals, values, usage }, ctx) => {
  const t = await tools(values, usage, ctx);
  const names = await listKindClusters(t, ctx.signal);
  if (globals.json) { ctx.stdout.write(jsonText({ provider: t.provider, clusters: names.map((n) => ({ name: n, context: contextOf(n) })) })); return 0; }
  if (!names.length) { ctx.stdout.write(`No kind clusters (${t.provider}). Create one with: terrarium cluster create\n`); return 0; }
  ctx.stdout.write(names.map((n) => `${safe(n)}\t(context ${safe(contextOf(n))})\n`).join(''));
  return 0;
};

const startStop = (verb: 'start' | 'stop'): CommandHandler => async ({ globals, values, positionals, usage }, ctx) => {
  const name = nameOf(positionals);
  const t = await tools(values, usage, ctx);
  const argv = await startStopKindCluster(t, name, verb, ctx.signal);
  if (globals.json) { ctx.stdout.write(jsonText({ cluster: name, provider: t.provider, [verb === 'start' ? 'started' : 'stopped']: true, commands: [argv] })); return 0; }
  ctx.stdout.write(verb === 'start'
    ? `Started kind cluster "${name}" (${argv.join(' ')}). Its API server answers within a few seconds: terrarium --context ${contextOf(name)} status\n`
    : `Stopped kind cluster "${name}" (${argv.join(' ')}); its environments and workspaces are kept. Start it again with: terrarium cluster start ${name}\n`);
  return 0;
};
export const clusterStartCommand = startStop('start');
export const clusterStopCommand = startStop('stop');
