/**
 * What the person may do with Terrarium in one namespace, from one SelfSubjectRulesReview
 * (authorization.k8s.io/v1): the UI hides what would fail instead of failing after the click.
 * The rules are matched as kube-apiserver's RBAC authorizer matches them (verbs, apiGroups,
 * resources with `*` and the star-subresource form, resourceNames), so per-pod grants the controller makes
 * (`pods/exec` and `pods/portforward` on the pods the user holds) show as per-sandbox actions.
 *
 * When the server cannot answer (the review is refused or fails, or says `incomplete: true`,
 * as with webhook authorizers that do not list rules), nothing is hidden: unknown means allowed,
 * and `note` says why, for the log. The API server still decides on the click.
 */
import type { V1SelfSubjectRulesReview } from '@kubernetes/client-node';
import { AuthorizationV1Api } from './api';
import type { Cluster } from './cluster';
import { isTerrariumError } from './errors';
import { kubeOp, OPS, type OpRow } from './ops';

/** One resource rule as a SelfSubjectRulesReview reports it. */
export interface ResourceRule { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }

export interface RulesReview {
  rules: ResourceRule[];
  /** The server could not list every rule (e.g. a webhook authorizer): a missing rule proves nothing. */
  incomplete: boolean;
  evaluationError?: string;
}

/** One request's attributes, as the authorizer sees them. */
export interface Attributes { verb: string; group?: string; resource: string; subresource?: string; name?: string }

/** The group whose members may act on others' claims (the claim policy lets them). */
export const ADMIN_GROUP = 'terrarium-admins';

export interface TerrariumPermissions {
  /** False when the server could not say: every action below is then true (unknown = allowed). */
  known: boolean;
  /** Why the permissions are unknown, for the log. */
  note?: string;
  /** Record a claim: update the sandbox's PVC. */
  claim: boolean;
  /** Remove one's own claim (keeping the workspace). */
  release: boolean;
  /** Release and recycle: delete the PVC and the pod so the StatefulSet makes both fresh. */
  recycle: boolean;
  /**
   * Release someone else's claim: PVC writes, as a member of terrarium-admins (whom the claim
   * policy lets). Where no policy is installed others could too, but the UI offers it to admins only.
   */
  forceRelease: boolean;
  /** Change the number of sandboxes (scale subresource or the StatefulSet), stop and start included. */
  scale: boolean;
  createEnvironment: boolean;
  deleteEnvironment: boolean;
  /** Restart a sandbox: delete its pod. */
  restart: boolean;
  /**
   * Pods the person may exec into and port-forward to (connect, terminal, agent sessions, forwards):
   * 'all' or the names granted by resourceNames.
   */
  reach: 'all' | string[];
}

/** RBAC's own matching (plugin/pkg/auth/authorizer/rbac/rbac.go: RuleAllows and its helpers). */
export function ruleAllows(rule: ResourceRule, a: Attributes): boolean {
  const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));
  if (!has(rule.verbs, a.verb) || !has(rule.apiGroups, a.group ?? '')) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resourceOk = (rule.resources ?? []).some((r) => r === '*' || r === combined || (!!a.subresource && r === `*/${a.subresource}`));
  if (!resourceOk) return false;
  return !rule.resourceNames?.length || (!!a.name && rule.resourceNames.includes(a.name));
}

export function allows(rules: readonly ResourceRule[], a: Attributes): boolean {
  return rules.some((r) => ruleAllows(r, a));
}

/** The pods named in rules that allow exactly this verb on this subresource (resourceNames grants). */
function namedPods(rules: readonly ResourceRule[], subresource: string, verb: string): Set<string> {
  const out = new Set<string>();
  for (const r of rules) {
    for (const name of r.resourceNames ?? []) if (ruleAllows(r, { verb, resource: 'pods', subresource, name })) out.add(name);
  }
  return out;
}

export interface PermissionContext {
  /** The person's groups (SelfSubjectReview). */
  groups?: readonly string[];
}

/** Terrarium's actions from a rules review; an incomplete review allows what it does not list. */
export function permissionsFromReview(review: RulesReview, ctx: PermissionContext = {}): TerrariumPermissions {
  const { rules, incomplete } = review;
  const can = (a: Attributes) => incomplete || allows(rules, a);
  const core = (verb: string, resource: string, subresource?: string): Attributes => ({ verb, resource, subresource });
  const apps = (verb: string, resource: string, subresource?: string): Attributes => ({ verb, group: 'apps', resource, subresource });
  const pvcWrite = can(core('update', 'persistentvolumeclaims')) || can(core('patch', 'persistentvolumeclaims'));
  const stsWrite = (verb: string) => can(apps(verb, 'statefulsets', 'scale')) || can(apps(verb, 'statefulsets'));
  // WebSocket exec and port-forward need both get and create on the subresource (what clients open).
  const reachAll = can(core('create', 'pods', 'exec')) && can(core('get', 'pods', 'exec'))
    && can(core('create', 'pods', 'portforward')) && can(core('get', 'pods', 'portforward'));
  let reach: TerrariumPermissions['reach'] = 'all';
  if (!reachAll) {
    const sets = [namedPods(rules, 'exec', 'create'), namedPods(rules, 'exec', 'get'), namedPods(rules, 'portforward', 'create'), namedPods(rules, 'portforward', 'get')];
    reach = [...sets[0]!].filter((p) => sets.every((s) => s.has(p))).sort();
  }
  const admin = !!ctx.groups?.includes(ADMIN_GROUP);
  return {
    known: !incomplete,
    ...(incomplete ? { note: `the API server's rules review is incomplete${review.evaluationError ? ` (${review.evaluationError})` : ''}: actions it does not list are shown and the server decides` } : {}),
    claim: pvcWrite,
    release: pvcWrite,
    recycle: pvcWrite && can(core('delete', 'persistentvolumeclaims')) && can(core('delete', 'pods')),
    forceRelease: pvcWrite && admin,
    scale: stsWrite('update') || stsWrite('patch'),
    // What createEnvironment does: server-side apply of each object (patch, and create when absent).
    createEnvironment: [OPS.applyStatefulSet, OPS.applyService, OPS.applyNetworkPolicy, OPS.applyLimitRange]
      .every((r: OpRow) => (r.rbacVerbs ?? [r.verb]).every((verb) => can({ verb, group: r.kind.group, resource: r.kind.plural, subresource: r.subresource }))),
    deleteEnvironment: can(apps('delete', 'statefulsets')),
    restart: can(core('delete', 'pods')),
    reach,
  };
}

/** Everything allowed (taking others' claims only for admins), with the reason the server could not say. */
export function unknownPermissions(note: string, ctx: PermissionContext = {}): TerrariumPermissions {
  return {
    known: false, note, claim: true, release: true, recycle: true, forceRelease: !!ctx.groups?.includes(ADMIN_GROUP), scale: true,
    createEnvironment: true, deleteEnvironment: true, restart: true, reach: 'all',
  };
}

/** May the person exec into / port-forward to this pod? */
export function mayReach(p: TerrariumPermissions, pod: string): boolean {
  return p.reach === 'all' || p.reach.includes(pod);
}

function reviewFrom(body: V1SelfSubjectRulesReview): RulesReview {
  const st = body.status;
  return {
    rules: (st?.resourceRules ?? []).map((r) => ({
      verbs: r.verbs ?? [], apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames,
    })),
    incomplete: !!st?.incomplete,
    evaluationError: st?.evaluationError || undefined,
  };
}

/** One SelfSubjectRulesReview for the cluster's namespace. */
export async function reviewRules(cluster: Cluster, signal?: AbortSignal): Promise<RulesReview> {
  const api = cluster.kc.makeApiClient(AuthorizationV1Api);
  const body: V1SelfSubjectRulesReview = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: cluster.namespace } };
  const res = await kubeOp(cluster, OPS.createSelfSubjectRulesReview, {}, (o) => api.createSelfSubjectRulesReview({ body }, o), { signal });
  return reviewFrom(res);
}

/** The permissions in the cluster's namespace; a review that fails gives unknownPermissions (never throws but for cancellation). */
export async function readPermissions(cluster: Cluster, ctx: PermissionContext = {}, signal?: AbortSignal): Promise<TerrariumPermissions> {
  try {
    return permissionsFromReview(await reviewRules(cluster, signal), ctx);
  } catch (e) {
    if (isTerrariumError(e, 'Cancelled')) throw e;
    const why = isTerrariumError(e) ? e.text : e instanceof Error ? e.message : String(e);
    return unknownPermissions(`the API server did not answer a rules review (${why}): every action is shown and the server decides`, ctx);
  }
}

/**
 * Permissions per cluster and namespace, read once and kept until invalidated (on reconnect, and
 * when the person's claims change: the controller's per-user Role names the pods they hold).
 */
export class PermissionsCache {
  private readonly entries = new Map<string, Promise<TerrariumPermissions>>();

  private key(cluster: Cluster): string { return `${cluster.context}\0${cluster.server ?? ''}\0${cluster.namespace}`; }

  get(cluster: Cluster, ctx: PermissionContext = {}, signal?: AbortSignal): Promise<TerrariumPermissions> {
    const k = this.key(cluster);
    let p = this.entries.get(k);
    if (!p) {
      p = readPermissions(cluster, ctx, signal);
      this.entries.set(k, p);
      // A cancelled read is not an answer: the next get asks again.
      p.catch(() => { if (this.entries.get(k) === p) this.entries.delete(k); });
    }
    return p;
  }

  /** The last answer for this cluster and namespace, if one has arrived. */
  peek(cluster: Cluster): Promise<TerrariumPermissions> | undefined { return this.entries.get(this.key(cluster)); }

  /** Forget one cluster's namespace, or everything. */
  invalidate(cluster?: Cluster): void {
    if (cluster) this.entries.delete(this.key(cluster));
    else this.entries.clear();
  }
}
