/** `terrarium platform install|uninstall|status`: the multi-user platform of one namespace. */
import { renderPlatform, type Obj } from '../../core/platform/render';
import { installPlatform, toYaml, uninstallPlatform } from '../../core/platform/install';
import { platformStatus, type PlatformStatus } from '../../core/platform/status';
import { UsageError, type GlobalOptions, type OptionValues } from '../args';
import { clusterFor } from '../cluster';
import type { CommandContext, CommandHandler } from '../commandTable';
import { jsonText, safe } from '../output';
import { version as VERSION } from '../../../package.json';

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);

function render(namespace: string, values: OptionValues): Obj[] {
  return renderPlatform({
    namespace, version: VERSION,
    usersGroup: str(values['users-group']), adminsGroup: str(values['admins-group']), controllerImage: str(values['controller-image']),
  });
}

/** The namespace for -o yaml: --namespace, else the context's, else the default; no cluster needed when given. */
function namespaceFor(globals: GlobalOptions, ctx: CommandContext): string {
  if (globals.namespace) return globals.namespace;
  try { return clusterFor(globals, ctx).namespace; } catch { return 'devenv'; }
}

export const platformInstallCommand: CommandHandler = async ({ globals, values, usage }, ctx) => {
  const output = str(values.output);
  if (output !== undefined && output !== 'yaml' && output !== 'json') throw new UsageError(`-o takes yaml or json, not ${JSON.stringify(output)}.`, usage);
  if (output) {
    // For GitOps: print instead of applying; `kubectl apply -f -` takes either form.
    const objects = render(namespaceFor(globals, ctx), values);
    ctx.stdout.write(output === 'yaml' ? toYaml(objects) : jsonText({ apiVersion: 'v1', kind: 'List', items: objects }));
    return 0;
  }
  const cluster = clusterFor(globals, ctx);
  const objects = render(cluster.namespace, values);
  const dryRun = values['dry-run'] === true;
  const lines: string[] = [];
  const applied = await installPlatform(cluster, objects, {
    dryRun, signal: ctx.signal,
    log: (l) => { lines.push(l); if (!globals.json) ctx.stderr.write(`${safe(l)}\n`); },
  });
  if (globals.json) {
    ctx.stdout.write(jsonText({ namespace: cluster.namespace, context: cluster.context, dryRun, applied: applied.map((o) => ({ kind: o.kind, name: o.metadata?.name, namespace: o.metadata?.namespace ?? null })) }));
    return 0;
  }
  ctx.stdout.write(dryRun
    ? `Dry run: the API server accepted all ${objects.length} objects for namespace "${cluster.namespace}"; nothing was changed.\n`
    : `Installed the Terrarium platform in namespace "${cluster.namespace}" (${objects.length} objects). Check it with: terrarium doctor\n`);
  return 0;
};

export const platformUninstallCommand: CommandHandler = async ({ globals, values }, ctx) => {
  const cluster = clusterFor(globals, ctx);
  const objects = render(cluster.namespace, values);
  const dryRun = values['dry-run'] === true;
  const deleteWorkspaces = values['delete-workspaces'] === true;
  if (deleteWorkspaces && values.yes !== true) {
    throw new UsageError('--delete-workspaces deletes every workspace volume of the namespace (their data is lost): add --yes to confirm.');
  }
  const lines: string[] = [];
  await uninstallPlatform(cluster, objects, {
    dryRun, deleteWorkspaces, signal: ctx.signal,
    log: (l) => { lines.push(l); if (!globals.json) ctx.stderr.write(`${safe(l)}\n`); },
  });
  if (globals.json) { ctx.stdout.write(jsonText({ namespace: cluster.namespace, context: cluster.context, dryRun, actions: lines })); return 0; }
  ctx.stdout.write(`${dryRun ? 'Dry run: would remove' : 'Removed'} the Terrarium platform from namespace "${cluster.namespace}"; `
    + `${deleteWorkspaces ? 'workspaces deleted' : 'environments and workspaces are kept'}.\n`);
  return 0;
};

/** Lines for people: claims enforced or advisory, controller running or not. */
export function formatPlatformStatus(s: PlatformStatus): string[] {
  const out = [
    `Claims:      ${s.claims.state}. ${s.claims.detail}`,
    `Controller:  ${s.controller.state}. ${s.controller.detail}`,
  ];
  if (s.installed) out.push(`Installed:   version ${s.installed.version ?? '?'}, users group ${s.installed.usersGroup ?? '?'}, admins group ${s.installed.adminsGroup ?? '?'}`);
  return out.map((l) => safe(l));
}

export const platformStatusCommand: CommandHandler = async ({ globals }, ctx) => {
  const cluster = clusterFor(globals, ctx);
  const s = await platformStatus(cluster, { signal: ctx.signal, now: ctx.now });
  if (globals.json) { ctx.stdout.write(jsonText({ context: cluster.context, ...s })); return 0; }
  ctx.stdout.write(`Namespace:   ${safe(cluster.namespace)} (context "${safe(cluster.context)}")\n${formatPlatformStatus(s).join('\n')}\n`);
  return 0;
};

