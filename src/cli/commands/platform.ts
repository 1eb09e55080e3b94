/** `terrarium platform install|uninstall|status`: the multi-user platform of one namespace. */
import { renderPlatform, type Obj } from '../../core/platform/render';
import { toYaml, uninstallPlatform } from '../../core/platform/install';
import { platformStatus, type PlatformStatus } from '../../core/platform/status';
import { UsageError, type GlobalOptions, type OptionValues } from '../args';
import { clusterFor } from '../cluster';
import type { CommandContext, CommandHandler } from '../commandTypes';
import { jsonText, safe } from '../output';
import { version as VERSION } from '../../../package.json';
import { VSO_CHART_VERSION, VSO_NAMESPACE, VSO_RELEASE, shellLine, vsoHelmPlan, type VsoOptions } from '../../core/platform/extras';
import { setupPlatform } from '../../core/platform/setup';

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);

/** The VSO options from --vault-* flags: none without --vault-address; --vault-role is then required. */
function vsoOptions(values: OptionValues, usage?: string): VsoOptions | undefined {
  const address = str(values['vault-address']);
  const role = str(values['vault-role']);
  if (address === undefined) {
    if (role !== undefined || values['vault-auth-mount'] !== undefined) throw new UsageError('--vault-role and --vault-auth-mount need --vault-address (the VaultConnection).', usage);
    return undefined;
  }
  if (role === undefined) throw new UsageError('--vault-address needs --vault-role: the Vault role of the Kubernetes auth method the VaultAuth logs in with.', usage);
  return { address, role, authMount: str(values['vault-auth-mount']), serviceAccount: str(values['vault-service-account']) };
}

function render(namespace: string, values: OptionValues, usage?: string): Obj[] {
  return renderPlatform({
    namespace, version: VERSION,
    usersGroup: str(values['users-group']), adminsGroup: str(values['admins-group']), controllerImage: str(values['controller-image']),
    quota: { pods: str(values['quota-pods']), storage: str(values['quota-storage']), cpu: str(values['quota-cpu']), memory: str(values['quota-memory']) },
    vso: vsoOptions(values, usage),
  });
}

/** Uninstall removes the quota and VSO objects by name, whatever flags install had (absent ones are skipped). */
function renderAll(namespace: string, values: OptionValues): Obj[] {
  return renderPlatform({
    namespace, version: VERSION,
    usersGroup: str(values['users-group']), adminsGroup: str(values['admins-group']),
    quota: { pods: '0' },
    vso: { address: 'https://vault.invalid', role: 'x', serviceAccount: str(values['vault-service-account']) },
  });
}

/** The namespace for -o yaml: --namespace, else the context's, else the default; no cluster needed when given. */
function namespaceFor(globals: GlobalOptions, ctx: CommandContext): string {
  if (globals.namespace) return globals.namespace;
  try { return clusterFor(globals, ctx).namespace; } catch { return 'devenv'; }
}

/** The helm commands to run by hand (no helm, or a dry run / -o where nothing is installed). */
function printHelm(commands: string[], why: 'absent' | 'print', ctx: CommandContext): void {
  ctx.stderr.write(`${why === 'absent' ? 'helm is not installed: install' : 'Install'} the Vault Secrets Operator ${VSO_CHART_VERSION} with:\n`
    + commands.map((c) => `  ${safe(c)}\n`).join(''));
}

export const platformInstallCommand: CommandHandler = async ({ globals, values, usage }, ctx) => {
  const output = str(values.output);
  if (output !== undefined && output !== 'yaml' && output !== 'json') throw new UsageError(`-o takes yaml or json, not ${JSON.stringify(output)}.`, usage);
  if (output) {
    // For GitOps: print instead of applying; `kubectl apply -f -` takes either form.
    const objects = render(namespaceFor(globals, ctx), values, usage);
    if (values['with-vso'] === true) printHelm(vsoHelmPlan().map(shellLine), 'print', ctx);
    ctx.stdout.write(output === 'yaml' ? toYaml(objects) : jsonText({ apiVersion: 'v1', kind: 'List', items: objects }));
    return 0;
  }
  const cluster = clusterFor(globals, ctx);
  const objects = render(cluster.namespace, values, usage);
  const dryRun = values['dry-run'] === true;
  const lines: string[] = [];
  const { applied, skipped, helm } = await setupPlatform(cluster, objects, {
    withVso: values['with-vso'] === true, dryRun, env: ctx.env, signal: ctx.signal, output: ctx.stderr,
    log: (l) => { lines.push(l); if (!globals.json) ctx.stderr.write(`${safe(l)}\n`); },
  });
  if (helm && !helm.ran && !globals.json) printHelm(helm.commands, helm.present ? 'print' : 'absent', ctx);
  const brief = (o: Obj) => ({ kind: o.kind, name: o.metadata?.name, namespace: o.metadata?.namespace ?? null });
  if (globals.json) {
    ctx.stdout.write(jsonText({
      namespace: cluster.namespace, context: cluster.context, dryRun, applied: applied.map(brief), skipped: skipped.map(brief),
      ...(helm ? { vso: { helmRan: helm.ran, chartVersion: VSO_CHART_VERSION, commands: helm.commands } } : {}),
    }));
    return 0;
  }
  ctx.stdout.write(dryRun
    ? `Dry run: the API server accepted all ${applied.length} objects for namespace "${cluster.namespace}"; nothing was changed.\n`
    : `Installed the Terrarium platform in namespace "${cluster.namespace}" (${applied.length} objects). Check it with: terrarium doctor\n`);
  if (skipped.length) {
    ctx.stdout.write(`Not applied: ${skipped.map((o) => `${o.kind}/${o.metadata!.name}`).join(', ')}: the Vault Secrets Operator is not installed. `
      + 'Install it (terrarium platform install --with-vso runs helm, or prints its commands), then run this command again.\n');
  }
  return 0;
};

export const platformUninstallCommand: CommandHandler = async ({ globals, values }, ctx) => {
  const cluster = clusterFor(globals, ctx);
  const objects = renderAll(cluster.namespace, values);
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
    + `${deleteWorkspaces ? 'workspaces deleted' : 'environments and workspaces are kept'}. `
    + `The Vault Secrets Operator, if installed, stays (other namespaces may use it): helm uninstall ${VSO_RELEASE} -n ${VSO_NAMESPACE} removes it.\n`);
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

