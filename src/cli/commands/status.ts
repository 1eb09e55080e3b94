/** `terrarium status`: where the CLI points (kubeconfig, context, server, namespace), health, environments. */
import { checkHealth, formatHealth, type HealthReport } from '../../core/kube/health';
import { isTerrariumError, type TerrariumError } from '../../core/kube/errors';
import type { KubeconfigDiscovery } from '../../core/kube/kubeconfig';
import { listEnvironments } from '../../core/devenv/operations';
import type { Environment } from '../../core/devenv/types';
import { clusterFor, discoverFor } from '../cluster';
import type { CommandHandler } from '../commandTypes';
import { environmentJson, formatEnvironmentStatus, formatTable, jsonText } from '../output';

function kubeconfigLine(d: KubeconfigDiscovery): string {
  if (d.origin === 'in-cluster') return 'in-cluster service account';
  const from = d.origin === 'explicit' ? '--kubeconfig' : d.origin === 'KUBECONFIG' ? 'KUBECONFIG' : 'default location';
  return `${d.sources.join(', ')} (${from})`;
}

const errorJson = (e: TerrariumError | undefined) => (e ? { code: e.code, message: e.message, hint: e.hint ?? null } : null);

export function statusJson(d: KubeconfigDiscovery, report: HealthReport, environments: Environment[] | undefined, listError?: TerrariumError) {
  return {
    kubeconfig: { origin: d.origin, sources: d.sources, warnings: d.warnings },
    context: report.context,
    server: report.server ?? null,
    serverVersion: report.serverVersion ?? null,
    namespace: report.namespace,
    ok: report.ok && !listError,
    health: {
      reachable: report.reachable,
      authenticated: report.authenticated ?? null,
      namespaceExists: report.namespaceExists ?? null,
      checks: report.checks.map((c) => ({ name: c.name, status: c.status, line: c.line, error: errorJson(c.error) })),
      error: errorJson(report.error ?? listError),
    },
    environments: environments?.map(environmentJson) ?? null,
  };
}

export const statusCommand: CommandHandler = async ({ globals }, ctx) => {
  const discovery = discoverFor(globals, ctx);
  const cluster = clusterFor(globals, ctx, discovery);
  const report = await checkHealth(cluster, { signal: ctx.signal });
  let environments: Environment[] | undefined;
  let listError: TerrariumError | undefined;
  if (report.namespaceExists === false) environments = [];
  else if (report.ok) {
    try {
      environments = await listEnvironments(cluster, { signal: ctx.signal });
    } catch (e) {
      if (!isTerrariumError(e) || e.code === 'Cancelled') throw e;
      listError = e;
    }
  }
  const ok = report.ok && !listError;
  if (globals.json) {
    ctx.stdout.write(jsonText(statusJson(discovery, report, environments, listError)));
    return ok ? 0 : 1;
  }
  const rows: [string, string][] = [
    ['Kubeconfig', kubeconfigLine(discovery)],
    ['Context', `${report.context}${globals.context ? '' : ' (current context)'}`],
    ['Server', report.server ?? '-'],
    ['Version', report.serverVersion ?? '-'],
    ['Namespace', report.namespace],
  ];
  const out = rows.map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`);
  for (const w of discovery.warnings) out.push(`Warning:    ${w}`);
  out.push('', 'Health:', ...formatHealth(report).slice(1));
  if (environments) {
    out.push('');
    if (!environments.length) out.push(`No environments in namespace "${report.namespace}". Create one with: terrarium env create NAME`);
    else {
      out.push('Environments:');
      out.push(...formatTable(['NAME', 'READY', 'STATUS'], environments.map((e) => [e.name, `${e.ready}/${e.desired}`, formatEnvironmentStatus(e)]))
        .trimEnd().split('\n').map((l) => `  ${l}`));
    }
  }
  ctx.stdout.write(out.join('\n') + '\n');
  const error = report.error ?? listError;
  if (!ok && error) ctx.stderr.write(`terrarium: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`);
  return ok ? 0 : 1;
};
