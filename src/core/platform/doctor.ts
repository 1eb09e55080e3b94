/**
 * `terrarium doctor` (first version; issue 12 extends it): can this person use Terrarium here, and
 * if not, what blocks them. Reachability and credentials (health.ts), who the API server says they
 * are (SelfSubjectReview), whether claims are enforced and the controller runs (status.ts), and the
 * main actions' permissions (one SelfSubjectAccessReview each). `ok` is false only when something
 * blocks use; warnings (advisory claims, a missing optional permission) do not.
 */
import { AuthorizationV1Api } from '../kube/api';
import type { Cluster } from '../kube/cluster';
import { TerrariumError, isTerrariumError } from '../kube/errors';
import { checkHealth, type HealthReport } from '../kube/health';
import { currentIdentity, type Identity } from '../kube/identity';
import { kubeOp, OPS, type OpRow } from '../kube/ops';
import { platformStatus, type PlatformStatus } from './status';
import { checkImagePull, checkNetwork, checkPodSecurity, checkStorageClass, checkVso } from './doctorCluster';
import { missingFeatures } from './doctorJudge';
import { localChecks, type LocalOptions } from './doctorLocal';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface DoctorCheck {
  /** Stable id for --json callers: "reachable", "identity", "claims", "controller", "can:claim" ... */
  id: string;
  status: CheckStatus;
  line: string;
  /** What to do, for warn and fail. */
  hint?: string;
  /** A fix VS Code offers as a button (the CLI shows the hint). */
  action?: DoctorAction;
}

/** Fixes the extension can start from a check: its Install Platform command, the kubeconfig file, the Remote - SSH extension. */
export type DoctorAction = 'installPlatform' | 'openKubeconfig' | 'installRemoteSsh';

export type DoctorIdentity = Identity;

export interface DoctorReport {
  context: string;
  server?: string;
  /** The kubeconfig file the context comes from. */
  kubeconfig?: string;
  serverVersion?: string;
  namespace: string;
  ok: boolean;
  identity?: DoctorIdentity;
  platform?: PlatformStatus;
  checks: DoctorCheck[];
}

/** An action a person does with Terrarium: one row of the operation table, asked as a SelfSubjectAccessReview. */
interface Action {
  id: string;
  what: string;
  row: OpRow;
  /** Without it nothing works (fail); otherwise only that action is unavailable (warn). */
  required: boolean;
}

const ACTIONS: Action[] = [
  { id: 'list-environments', what: 'see environments', row: OPS.listStatefulSets, required: true },
  { id: 'list-sandboxes', what: 'see sandboxes', row: OPS.listPods, required: true },
  { id: 'claim', what: 'claim and release sandboxes', row: OPS.updatePVC, required: true },
  { id: 'connect', what: 'connect (port-forward to a sandbox)', row: OPS.portForwardPod, required: true },
  { id: 'exec', what: 'run agent sessions (exec into a sandbox)', row: OPS.execPod, required: true },
  { id: 'logs', what: 'read sandbox logs', row: OPS.readPodLog, required: false },
  { id: 'scale', what: 'scale environments (admins)', row: OPS.patchScale, required: false },
  { id: 'create-environments', what: 'create environments (admins)', row: OPS.applyStatefulSet, required: false },
];

const apis = new WeakMap<Cluster, { authz: AuthorizationV1Api }>();
function apisOf(cluster: Cluster) {
  let a = apis.get(cluster);
  if (!a) apis.set(cluster, (a = { authz: cluster.kc.makeApiClient(AuthorizationV1Api) }));
  return a;
}

async function allowed(cluster: Cluster, a: Action, signal?: AbortSignal): Promise<{ allowed: boolean; reason?: string }> {
  const r = await kubeOp(cluster, OPS.createSelfSubjectAccessReview, { namespace: null },
    (o) => apisOf(cluster).authz.createSelfSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            namespace: cluster.namespace, verb: a.row.rbacVerbs?.[0] ?? a.row.verb, group: a.row.kind.group, resource: a.row.kind.plural,
            ...(a.row.subresource ? { subresource: a.row.subresource } : {}),
          },
        },
      },
    }, o), { signal });
  return { allowed: !!r.status?.allowed, reason: r.status?.reason || undefined };
}

const rule = (a: Action) => {
  const r = a.row;
  return `"${r.rbacVerbs?.[0] ?? r.verb}" on ${r.subresource ? `${r.kind.plural}/${r.subresource}` : r.kind.plural}${r.kind.group ? ` (API group ${r.kind.group})` : ''}`;
};

function fromHealth(h: HealthReport): DoctorCheck[] {
  return h.checks.map((c) => {
    const check: DoctorCheck = {
      id: c.name,
      status: c.status === 'error' ? 'fail' : c.status === 'warning' ? 'warn' : c.status,
      line: c.line,
      ...(c.error?.hint && c.status !== 'ok' ? { hint: c.error.hint } : {}),
    };
    if (c.name === 'authenticated' && c.status === 'error') check.action = 'openKubeconfig';
    // Older than the features need: the claim policy or SelfSubjectReview are not served.
    const missing = c.name === 'version' && c.status === 'ok' ? missingFeatures(h.serverVersion) : [];
    if (missing.length) {
      check.status = 'warn';
      check.line = `${c.line.replace(/\.$/, '')}: older than Terrarium needs (${missing.join('; ')}).`;
      check.hint = 'Upgrade the cluster to Kubernetes 1.30 or newer; until then claims are advisory.';
    }
    return check;
  });
}

export interface DoctorOptions {
  signal?: AbortSignal;
  now?: () => Date;
  /** Also check this machine (ssh, Remote - SSH, docker/podman/kind/helm); false: the cluster only. */
  local?: LocalOptions | false;
}

const kubeconfigCheck = (cluster: Cluster): DoctorCheck => ({
  id: 'kubeconfig', status: 'ok',
  line: `Kubeconfig ${cluster.kubeconfigPath ?? '(in-cluster or default)'}: context "${cluster.context}", namespace "${cluster.namespace}".`,
});

/** The report when no cluster can be opened (no kubeconfig, no such context): that check fails, the local ones still run. */
export async function doctorWithoutCluster(error: TerrariumError, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [{ id: 'kubeconfig', status: 'fail', line: `No usable kubeconfig: ${error.message}`, hint: error.hint, action: 'openKubeconfig' }];
  if (opts.local) checks.push(...await localChecks({ ...opts.local, signal: opts.signal }));
  return { context: '', namespace: '', ok: false, checks };
}

export async function runDoctor(cluster: Cluster, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const signal = opts.signal;
  const local = opts.local ? localChecks({ ...opts.local, signal }) : Promise.resolve([]);
  const health = await checkHealth(cluster, { signal });
  const report: DoctorReport = {
    context: cluster.context, server: cluster.server, ...(cluster.kubeconfigPath ? { kubeconfig: cluster.kubeconfigPath } : {}),
    ...(health.serverVersion ? { serverVersion: health.serverVersion } : {}),
    namespace: cluster.namespace, ok: false, checks: [kubeconfigCheck(cluster), ...fromHealth(health)],
  };
  const finish = async () => {
    report.checks.push(...await local);
    report.ok = report.checks.every((c) => c.status !== 'fail');
    return report;
  };
  if (!health.reachable || health.authenticated === false) return finish();

  const orCheck = (id: string) => (e: unknown): DoctorCheck => {
    if (isTerrariumError(e) && e.code !== 'Cancelled') return { id, status: 'warn', line: `Cannot check ${id}: ${e.message}`, hint: e.hint };
    throw e;
  };
  const clusterChecks = Promise.all([
    checkPodSecurity(cluster, signal).catch(orCheck('pod-security')).then((c) => [c]),
    checkStorageClass(cluster, signal).catch(orCheck('storage-class')).then((c) => [c]),
    checkNetwork(cluster, signal).catch((e) => [orCheck('network-policy')(e)]),
    checkVso(cluster, signal).catch(orCheck('vso')).then((c) => [c]),
    checkImagePull(cluster, signal).catch(orCheck('image')).then((c) => [c]),
  ]);
  const [identity, platform, answers] = await Promise.all([
    currentIdentity(cluster, signal).catch((e) => (isTerrariumError(e) && e.code !== 'Cancelled' ? e : Promise.reject(e))),
    platformStatus(cluster, { signal, now: opts.now }).catch((e) => (isTerrariumError(e) && e.code !== 'Cancelled' ? e : Promise.reject(e))),
    Promise.all(ACTIONS.map((a) => allowed(cluster, a, signal).catch((e) => (isTerrariumError(e) && e.code !== 'Cancelled' ? e : Promise.reject(e))))),
  ]);

  if (identity instanceof TerrariumError) {
    report.checks.push({ id: 'identity', status: 'warn', line: `Cannot tell who you are: ${identity.message}`, hint: identity.hint });
  } else {
    report.identity = identity;
    const groups = identity.groups.filter((g) => g !== 'system:authenticated');
    report.checks.push({
      id: 'identity', status: identity.source === 'api-server' ? 'ok' : 'warn',
      line: `You are ${identity.username}${groups.length ? ` (groups: ${groups.join(', ')})` : ''}${identity.source === 'kubeconfig' ? ' (from the kubeconfig)' : ''}.`,
      ...(identity.note ? { hint: identity.note } : {}),
    });
  }

  let controllerRuns = false;
  if (platform instanceof TerrariumError) {
    report.checks.push({ id: 'claims', status: 'warn', line: `Cannot tell whether claims are enforced: ${platform.message}`, hint: platform.hint });
  } else {
    report.platform = platform;
    const installed = !!platform.installed || platform.claims.source === 'policy' && platform.claims.state === 'enforced';
    report.checks.push({
      id: 'claims', status: platform.claims.state === 'enforced' ? 'ok' : 'warn', line: platform.claims.detail,
      ...(platform.claims.state !== 'enforced' ? { hint: 'A cluster admin installs the claim policy with: terrarium platform install', action: 'installPlatform' as const } : {}),
    });
    controllerRuns = platform.controller.state === 'running';
    const c = platform.controller;
    report.checks.push({
      id: 'controller',
      // Installed but not running blocks users: nobody gets exec or port-forward on a new claim.
      status: c.state === 'running' ? 'ok' : installed && c.state !== 'unknown' ? 'fail' : 'warn',
      line: c.detail,
      ...(c.state !== 'running' ? {
        hint: installed
          ? `Check the controller's Deployment (kubectl -n ${cluster.namespace} get deploy terrarium-controller) or run it locally: terrarium controller`
          : 'Without the platform, claims are advisory and access is what your Role grants; a cluster admin installs it with: terrarium platform install',
        ...(installed ? {} : { action: 'installPlatform' as const }),
      } : {}),
    });
  }

  ACTIONS.forEach((a, i) => {
    const r = answers[i]!;
    const id = `can:${a.id}`;
    if (r instanceof TerrariumError) {
      report.checks.push({ id, status: 'warn', line: `Cannot tell whether you may ${a.what}: ${r.message}`, hint: r.hint });
    } else if (r.allowed) {
      report.checks.push({ id, status: 'ok', line: `You may ${a.what}.` });
    } else if (a.row.via === 'access' && controllerRuns) {
      report.checks.push({ id, status: 'ok', line: `You may ${a.what} only on sandboxes you hold (the controller grants it when you claim one).` });
    } else {
      report.checks.push({
        id, status: a.required ? 'fail' : 'warn', line: `You may not ${a.what}: ${rule(a)} is not granted in namespace "${cluster.namespace}".`,
        hint: `Ask a cluster admin to add you to the Terrarium users group (terrarium platform install binds it) or to grant ${rule(a)}.`,
      });
    }
  });
  report.checks.push(...(await clusterChecks).flat());
  return finish();
}
