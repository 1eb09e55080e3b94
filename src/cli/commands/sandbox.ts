/** `terrarium sandbox list [ENV]` and `terrarium sandbox restart NAME-ORDINAL`. */
import { listSandboxes, restartSandbox } from '../../core/devenv/operations';
import { validateSandboxName } from '../../core/devenv/validate';
import { clusterFor, where } from '../cluster';
import type { CommandHandler } from '../commandTypes';
import { jsonText, sandboxJson, sandboxesTable } from '../output';

export const sandboxListCommand: CommandHandler = async ({ globals, positionals }, ctx) => {
  const env = positionals[0];
  const cluster = clusterFor(globals, ctx);
  const sandboxes = await listSandboxes(cluster, env, { signal: ctx.signal });
  if (globals.json) {
    ctx.stdout.write(jsonText({ namespace: cluster.namespace, context: cluster.context, environment: env ?? null, sandboxes: sandboxes.map(sandboxJson) }));
    return;
  }
  if (!sandboxes.length) {
    ctx.stdout.write(env ? `Environment "${env}" has no sandboxes (it is stopped and has no workspaces).\n` : `No sandboxes${where(cluster)}.\n`);
    return;
  }
  ctx.stdout.write(sandboxesTable(sandboxes, ctx.now()));
};

export const sandboxRestartCommand: CommandHandler = async ({ globals, positionals }, ctx) => {
  const name = positionals[0]!;
  validateSandboxName(name);
  const cluster = clusterFor(globals, ctx);
  await restartSandbox(cluster, name, { signal: ctx.signal });
  if (globals.json) { ctx.stdout.write(jsonText({ restarted: name })); return; }
  ctx.stdout.write(`Restarting "${name}": its pod was deleted and comes back with the same workspace.\n`);
};
