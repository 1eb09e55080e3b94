import type { Cluster } from './cluster';
import { TerrariumError, isTerrariumError } from './errors';
import { MANAGED_BY_SELECTOR } from './informer';
import { listOp } from './list';
import { kubeOp, OPS } from './ops';

/** What a person sees for one cluster: can we reach it, who are we, is Terrarium there. */

export type HealthStatus = 'ok' | 'warning' | 'error' | 'skipped';
export type HealthCheckName = 'reachable' | 'version' | 'authenticated' | 'namespace' | 'resources';

export interface HealthCheck {
  name: HealthCheckName;
  status: HealthStatus;
  /** One human line, e.g. `Namespace "devenv" exists`. */
  line: string;
  /** The translated error when status is "error" (and for some warnings). */
  error?: TerrariumError;
}

export interface HealthReport {
  context: string;
  server?: string;
  namespace: string;
  /** True when no check failed (warnings allowed). */
  ok: boolean;
  reachable: boolean;
  serverVersion?: string;
  authenticated?: boolean;
  namespaceExists?: boolean;
  /** StatefulSets labelled app.kubernetes.io/managed-by=terrarium in the namespace. */
  environments?: number;
  checks: HealthCheck[];
  /** The first failed check's translated error (e.g. why the cluster is unreachable). */
  error?: TerrariumError;
}

export interface HealthOptions {
  signal?: AbortSignal;
  /** Retries per request for 429/5xx; default 2 so a health check answers quickly. */
  retries?: number;
  /** Injected in tests so retry backoff costs no time. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const NOT_REACHED = new Set(['Unreachable', 'TLS', 'Timeout', 'BadKubeconfig', 'Unknown']);

function skipped(name: HealthCheckName, why: string): HealthCheck {
  return { name, status: 'skipped', line: `Skipped: ${why}.` };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export async function checkHealth(cluster: Cluster, opts: HealthOptions = {}): Promise<HealthReport> {
  const retry = { signal: opts.signal, retries: opts.retries ?? 2, sleep: opts.sleep };
  const ns = cluster.namespace;
  const checks: HealthCheck[] = [];
  const report: HealthReport = { context: cluster.context, server: cluster.server, namespace: ns, ok: false, reachable: false, checks };
  const rethrowCancel = (e: unknown) => { if (isTerrariumError(e, 'Cancelled')) throw e; };
  const finish = () => {
    report.ok = checks.every((c) => c.status !== 'error');
    report.error = checks.find((c) => c.status === 'error')?.error;
    return report;
  };

  // 1. Reachable + version: /version, which also tells TLS and network failures apart.
  let credentialsRejected: TerrariumError | undefined;
  try {
    const info = await kubeOp(cluster, OPS.readVersion, {}, (o) => cluster.version.getCode({}, o), retry);
    report.reachable = true;
    report.serverVersion = info.gitVersion;
    checks.push({ name: 'reachable', status: 'ok', line: `Reachable: ${cluster.server ?? 'the API server'} answers.` });
    checks.push({ name: 'version', status: 'ok', line: `Kubernetes ${info.gitVersion}.` });
  } catch (e) {
    rethrowCancel(e);
    const err = e instanceof TerrariumError ? e : new TerrariumError('Unknown', String(e));
    if (NOT_REACHED.has(err.code)) {
      checks.push({ name: 'reachable', status: 'error', line: `Not reachable: ${err.message}`, error: err });
      for (const n of ['version', 'authenticated', 'namespace', 'resources'] as const) checks.push(skipped(n, 'the API server is not reachable'));
      return finish();
    }
    report.reachable = true;
    checks.push({ name: 'reachable', status: 'ok', line: `Reachable: ${cluster.server ?? 'the API server'} answers.` });
    if (err.code === 'Unauthorized') {
      credentialsRejected = err;
      checks.push(skipped('version', 'the credentials were rejected'));
    } else if (err.code === 'Forbidden') {
      checks.push({ name: 'version', status: 'warning', line: 'Server version hidden: you may not read /version.', error: err });
    } else {
      checks.push({ name: 'version', status: 'error', line: `Server version unknown: ${err.message}`, error: err });
    }
  }

  // 2. Authenticated + namespace: one GET of the namespace answers both (401 vs 403 vs 404 vs 200).
  let namespaceKnownMissing = false;
  if (credentialsRejected) {
    report.authenticated = false;
    checks.push({ name: 'authenticated', status: 'error', line: `Not authenticated: ${credentialsRejected.message}`, error: credentialsRejected });
    checks.push(skipped('namespace', 'not authenticated'), skipped('resources', 'not authenticated'));
    return finish();
  }
  try {
    await kubeOp(cluster, OPS.readNamespace, { name: ns }, (o) => cluster.core.readNamespace({ name: ns }, o), retry);
    report.authenticated = true;
    report.namespaceExists = true;
    checks.push({ name: 'authenticated', status: 'ok', line: `Authenticated: the credentials of context "${cluster.context}" are accepted.` });
    checks.push({ name: 'namespace', status: 'ok', line: `Namespace "${ns}" exists.` });
  } catch (e) {
    rethrowCancel(e);
    const err = e instanceof TerrariumError ? e : new TerrariumError('Unknown', String(e));
    if (err.code === 'Unauthorized' || (err.code === 'Forbidden' && err.message.includes('system:anonymous'))) {
      const shown = err.code === 'Unauthorized' ? err : new TerrariumError('Unauthorized',
        `The API server treats context "${cluster.context}" as anonymous: its kubeconfig user sends no credentials.`,
        'Add a token, client certificate or exec login to the kubeconfig user of this context.', { cause: err });
      report.authenticated = false;
      checks.push({ name: 'authenticated', status: 'error', line: `Not authenticated: ${shown.message}`, error: shown });
      checks.push(skipped('namespace', 'not authenticated'), skipped('resources', 'not authenticated'));
      return finish();
    }
    if (err.code === 'NotFound') {
      report.authenticated = true;
      report.namespaceExists = false;
      namespaceKnownMissing = true;
      checks.push({ name: 'authenticated', status: 'ok', line: `Authenticated: the credentials of context "${cluster.context}" are accepted.` });
      checks.push({ name: 'namespace', status: 'warning', line: `Namespace "${ns}" does not exist yet; creating an environment creates it.`, error: err });
    } else if (err.code === 'Forbidden') {
      // Namespaced Roles cannot read Namespace objects; that is normal for Terrarium users.
      report.authenticated = true;
      checks.push({ name: 'authenticated', status: 'ok', line: `Authenticated: the credentials of context "${cluster.context}" are accepted.` });
      checks.push({ name: 'namespace', status: 'warning', line: `Namespace "${ns}": cannot check, you may not read namespaces.`, error: err });
    } else {
      checks.push({ name: 'authenticated', status: 'skipped', line: 'Skipped: the API server failed to answer.' });
      checks.push({ name: 'namespace', status: 'error', line: `Namespace "${ns}" unknown: ${err.message}`, error: err });
    }
  }

  // 3. Terrarium resources: count the managed StatefulSets (environments).
  if (namespaceKnownMissing) {
    report.environments = 0;
    checks.push({ name: 'resources', status: 'ok', line: `No Terrarium environments in namespace "${ns}" yet.` });
    return finish();
  }
  try {
    const list = await listOp(cluster, OPS.listStatefulSets,
      (page, o) => cluster.apps.listNamespacedStatefulSet({ namespace: ns, labelSelector: MANAGED_BY_SELECTOR, ...page }, o), retry);
    const n = list.items.length;
    report.environments = n;
    checks.push({ name: 'resources', status: 'ok', line: n
      ? `${plural(n, 'Terrarium environment', 'Terrarium environments')} in namespace "${ns}".`
      : `No Terrarium environments in namespace "${ns}" yet.` });
  } catch (e) {
    rethrowCancel(e);
    const err = e instanceof TerrariumError ? e : new TerrariumError('Unknown', String(e));
    checks.push({ name: 'resources', status: 'error', line: `Terrarium environments unknown: ${err.message}`, error: err });
  }
  return finish();
}

const MARK: Record<HealthStatus, string> = { ok: '✓', warning: '!', error: '✗', skipped: '-' };

/** The report as lines for the CLI or a tooltip; hints follow failed checks. */
export function formatHealth(report: HealthReport): string[] {
  const lines = [`Context "${report.context}"${report.server ? ` (${report.server})` : ''}, namespace "${report.namespace}":`];
  for (const c of report.checks) {
    lines.push(`  ${MARK[c.status]} ${c.line}`);
    if (c.status === 'error' && c.error?.hint) lines.push(`    ${c.error.hint}`);
  }
  return lines;
}
