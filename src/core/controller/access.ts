/**
 * Who may reach which sandbox, as RBAC objects: the pure half of the controller (no I/O).
 * - Per user: Role + RoleBinding `terrarium-access-<slug>` granting pods/exec, pods/attach and
 *   pods/portforward (create, get) with resourceNames = the sandboxes the user holds. A user who
 *   holds nothing has neither (an empty resourceNames would mean every pod).
 * - For everyone in Group terrarium-users: Role + RoleBinding `terrarium-secrets-read` granting
 *   `get secrets` on the Vault Secrets Operator's destination Secrets only, never a Secret
 *   Terrarium manages (host keys), and no rule at all when there is none.
 */
import { createHash } from 'node:crypto';
import { LABEL_MANAGED_BY, MANAGED_BY, ordinalOf } from '../devenv/names';
import { isTerrariumManagedSecret } from '../secrets/managed';
import { SECRETS_READ_ROLE } from '../kube/ops';

// TODO(wave3): import from src/core/devenv/claims.ts (the claims engineer owns the constants).
const CLAIMED_BY = 'terrarium.dev/claimed-by';

export const ACCESS_PREFIX = 'terrarium-access-';
export const LABEL_ACCESS = 'terrarium.dev/access';
export const ANNOTATION_USER = 'terrarium.dev/user';
export const SECRETS_READ = SECRETS_READ_ROLE;
export const USERS_GROUP = 'terrarium-users';
export const ADMINS_GROUP = 'terrarium-admins';
export const CONTROLLER_NAME = 'terrarium-controller';
/** The subresources a holder gets on their sandboxes. */
export const ACCESS_SUBRESOURCES = ['pods/exec', 'pods/attach', 'pods/portforward'] as const;
export const ACCESS_VERBS = ['create', 'get'] as const;
const RBAC_GROUP = 'rbac.authorization.k8s.io';

/**
 * `alice` -> `alice-2bd806c97f`: lowercase [a-z0-9-] of the username (other characters become
 * '-'), cut to 30 characters, then '-' and the first 10 hex digits of sha256(username), so
 * `Alice` and `alice`, or `a:b` and `a/b`, never share a Role.
 */
export function userSlug(username: string): string {
  const readable = username.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+/, '')
    .slice(0, 30).replace(/-+$/, '');
  const hash = createHash('sha256').update(username, 'utf8').digest('hex').slice(0, 10);
  return readable ? `${readable}-${hash}` : hash;
}

/** The Role and RoleBinding name of a user's access: `terrarium-access-<slug>`. */
export function accessName(username: string): string {
  return `${ACCESS_PREFIX}${userSlug(username)}`;
}

const labels = (access: string) => ({ [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ACCESS]: access });

export interface RoleObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'Role';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
}

export interface RoleBindingObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'RoleBinding';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  roleRef: { apiGroup: string; kind: 'Role'; name: string };
  subjects: { apiGroup?: string; kind: 'User' | 'Group' | 'ServiceAccount'; name: string; namespace?: string }[];
}

/** The user's access Role for the sandboxes they hold (sorted; never called with none). */
export function renderAccessRole(namespace: string, user: string, sandboxes: string[]): RoleObject {
  if (!sandboxes.length) throw new Error('renderAccessRole: a Role without resourceNames would grant every pod');
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role',
    metadata: { name: accessName(user), namespace, labels: labels('user'), annotations: { [ANNOTATION_USER]: user } },
    rules: [{ apiGroups: [''], resources: [...ACCESS_SUBRESOURCES], verbs: [...ACCESS_VERBS], resourceNames: [...sandboxes].sort() }],
  };
}

export function renderAccessBinding(namespace: string, user: string): RoleBindingObject {
  const name = accessName(user);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
    metadata: { name, namespace, labels: labels('user'), annotations: { [ANNOTATION_USER]: user } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name },
    subjects: [{ apiGroup: RBAC_GROUP, kind: 'User', name: user }],
  };
}

/** `get secrets` on exactly these names; no rule at all for none (empty resourceNames = all). */
export function renderSecretsReadRole(namespace: string, secretNames: string[]): RoleObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role',
    metadata: { name: SECRETS_READ, namespace, labels: labels('secrets') },
    rules: secretNames.length ? [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: [...secretNames].sort() }] : [],
  };
}

export function renderSecretsReadBinding(namespace: string): RoleBindingObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding',
    metadata: { name: SECRETS_READ, namespace, labels: labels('secrets') },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: SECRETS_READ },
    subjects: [{ apiGroup: RBAC_GROUP, kind: 'Group', name: USERS_GROUP }],
  };
}

/** The resourceNames an access Role grants (what the controller compares against the claims). */
export function grantedSandboxes(role: { rules?: { resources?: string[]; resourceNames?: string[] }[] | null } | undefined): string[] {
  const names = new Set<string>();
  for (const r of role?.rules ?? []) for (const n of r.resourceNames ?? []) names.add(n);
  return [...names].sort();
}

// ---- what should be granted, from the watch caches ----

interface Meta {
  name?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: unknown;
  ownerReferences?: { kind?: string; name?: string; controller?: boolean }[];
}
export interface Obj { metadata?: Meta }

export interface Holding {
  user: string;
  sandbox: string;
  environment: string;
}

/**
 * Every (user, sandbox) pair the claims record, keeping only real sandboxes: the PVC is
 * `workspace-<env>-<n>` of a StatefulSet Terrarium manages, and the pod of that name, when it
 * exists, belongs to that StatefulSet. So a PVC someone names `workspace-<other pod>` never
 * opens exec on a pod that is not a sandbox. A PVC being deleted (a release recycling it) holds nothing.
 */
export function holdings(pvcs: Obj[], pods: Obj[], statefulSets: Obj[]): Holding[] {
  const envs = statefulSets.filter((s) => s.metadata?.name && s.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY && !s.metadata.deletionTimestamp)
    .map((s) => s.metadata!.name!);
  const podsByName = new Map(pods.map((p) => [p.metadata?.name, p]));
  const out: Holding[] = [];
  for (const pvc of pvcs) {
    const m = pvc.metadata;
    const user = m?.annotations?.[CLAIMED_BY];
    if (!m?.name || !user || m.deletionTimestamp || !m.name.startsWith('workspace-')) continue;
    const sandbox = m.name.slice('workspace-'.length);
    const environment = envs.find((env) => ordinalOf(env, sandbox) !== undefined);
    if (!environment) continue;
    const pod = podsByName.get(sandbox);
    if (pod) {
      const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
      if (owner?.kind !== 'StatefulSet' || owner.name !== environment) continue;
    }
    out.push({ user, sandbox, environment });
  }
  return out;
}

/** user -> sorted sandboxes. */
export function sandboxesByUser(list: Holding[]): Map<string, string[]> {
  const m = new Map<string, Set<string>>();
  for (const h of list) {
    let s = m.get(h.user);
    if (!s) m.set(h.user, (s = new Set()));
    s.add(h.sandbox);
  }
  return new Map([...m].map(([u, s]) => [u, [...s].sort()]));
}

/** The destination Secrets users may read: every VSO secret's destination, minus Terrarium's own. */
export function readableSecrets(vsoSecrets: { metadata?: { name?: string }; spec?: { destination?: { name?: unknown } } }[]): string[] {
  const names = new Set<string>();
  for (const s of vsoSecrets) {
    const name = String(s.spec?.destination?.name ?? s.metadata?.name ?? '');
    if (name && !isTerrariumManagedSecret(name)) names.add(name);
  }
  return [...names].sort();
}

export interface ExistingAccess {
  user: string;
  sandboxes: string[];
  /** Its RoleBinding exists too. */
  bound: boolean;
}

export interface AccessChange {
  user: string;
  name: string;
  granted: string[];
  revoked: string[];
  /** The sandboxes the Role should name afterwards; empty: delete Role and RoleBinding. */
  sandboxes: string[];
}

/**
 * What to write, per Role name: compare the wanted grants with the Roles that exist (as listed or
 * as last written). `existing` maps Role (or RoleBinding) name -> what it grants.
 */
export function diffAccess(wanted: Map<string, string[]>, existing: Map<string, ExistingAccess>): AccessChange[] {
  const changes: AccessChange[] = [];
  const seen = new Set<string>();
  for (const [user, sandboxes] of wanted) {
    const name = accessName(user);
    seen.add(name);
    const cur = existing.get(name);
    // Without its RoleBinding a Role grants nothing: the user has none of it yet.
    const have = cur?.bound ? cur.sandboxes : [];
    const granted = sandboxes.filter((s) => !have.includes(s));
    const revoked = have.filter((s) => !sandboxes.includes(s));
    if (granted.length || revoked.length || !cur?.bound || cur.sandboxes.join() !== sandboxes.join()) changes.push({ user, name, granted, revoked, sandboxes });
  }
  for (const [name, have] of existing) {
    if (!seen.has(name)) changes.push({ user: have.user, name, granted: [], revoked: have.bound ? have.sandboxes : [], sandboxes: [] });
  }
  return changes.sort((a, b) => a.name.localeCompare(b.name));
}
