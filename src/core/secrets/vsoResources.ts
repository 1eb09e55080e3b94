import type { Cluster } from '../kube/cluster';
import { isTerrariumError } from '../kube/errors';
import { kubeOp, OPS, pathOf, VSO_GROUP, VSO_OPS } from '../kube/ops';
import { listOpJson } from '../kube/list';
import { getJson } from '../kube/request';
import type { VsoStatus } from '../../shared/protocol';
import { shapesOf, type SecretShape, type SecretShapes } from './destinations';

/**
 * Reads the Vault Secrets Operator's resources of one namespace. Terrarium never talks to Vault:
 * everything comes from the custom resources' status, which the operator writes.
 */
export { VSO_GROUP };
export const VSO_VERSION = 'v1beta1';

export const VSO_PLURALS = {
  VaultStaticSecret: 'vaultstaticsecrets',
  VaultDynamicSecret: 'vaultdynamicsecrets',
  VaultPKISecret: 'vaultpkisecrets',
  VaultAuth: 'vaultauths',
  VaultConnection: 'vaultconnections',
} as const;
export type VsoKind = keyof typeof VSO_PLURALS;
export const SECRET_KINDS = ['VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret'] as const;

/** The fields the panel reads; everything optional because the cluster may hold anything. */
export interface VsoObject {
  apiVersion?: string;
  kind: VsoKind;
  metadata: { name: string; namespace?: string; uid?: string; generation?: number; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: Record<string, any>;
  status?: Record<string, any>;
}

export interface VsoSnapshot {
  status: VsoStatus;
  /** Why VSO is not readable: not installed, or the RBAC rule that is missing. */
  message?: string;
  secrets: VsoObject[];
  /** This namespace's VaultAuths, plus those of other namespaces that secrets name ("ns/name"). */
  auths: VsoObject[];
  connections: VsoObject[];
  /** "ns/name" of other namespaces' VaultAuths that could not be read (forbidden or failing). */
  unreadableAuths?: string[];
}

/** The Kubernetes Secret a VSO secret writes (its own name when destination.name is unset). */
export function destinationOf(s: VsoObject): string {
  return String(s.spec?.destination?.name ?? s.metadata.name);
}

export function vsoPath(namespace: string, kind: VsoKind, name?: string): string {
  return pathOf(VSO_OPS[kind].list, namespace, name);
}

async function list(cluster: Cluster, kind: VsoKind, signal?: AbortSignal): Promise<VsoObject[]> {
  const res = await listOpJson<any>(cluster, VSO_OPS[kind].list, vsoPath(cluster.namespace, kind), {}, { signal });
  // Lists leave kind off their items; put it back so each object says what it is.
  return res.items.map((o) => ({ ...o, kind }));
}

export async function readVso(cluster: Cluster, signal?: AbortSignal): Promise<VsoSnapshot> {
  const empty = { secrets: [], auths: [], connections: [] };
  try {
    const [statics, dynamics, pkis, auths, connections] = await Promise.all(
      (['VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret', 'VaultAuth', 'VaultConnection'] as const).map((k) => list(cluster, k, signal)));
    const secrets = [...statics!, ...dynamics!, ...pkis!].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name) || a.kind.localeCompare(b.kind));
    const foreign = await readForeignAuths(cluster, secrets, signal);
    return { status: 'installed', secrets, auths: [...auths!, ...foreign.auths], connections: connections!, ...(foreign.unreadable.length ? { unreadableAuths: foreign.unreadable } : {}) };
  } catch (e) {
    // A namespaced list answers 404 only when the API server does not serve the resource: no CRDs.
    if (isTerrariumError(e, 'NotFound')) {
      return { status: 'not-installed', message: `The Vault Secrets Operator is not installed on this cluster (the API has no ${VSO_GROUP} resources).`, ...empty };
    }
    if (isTerrariumError(e, 'Forbidden')) return { status: 'forbidden', message: e.text, ...empty };
    if (isTerrariumError(e, 'Cancelled')) throw e;
    return { status: 'error', message: isTerrariumError(e) ? e.text : String(e), ...empty };
  }
}

/**
 * The VaultAuths of other namespaces that secrets name as "namespace/name" (the CRD allows it):
 * one GET each; a missing one is simply absent, one that cannot be read is listed as unreadable.
 */
async function readForeignAuths(cluster: Cluster, secrets: VsoObject[], signal?: AbortSignal): Promise<{ auths: VsoObject[]; unreadable: string[] }> {
  const refs = new Set<string>();
  for (const s of secrets) {
    const parts = String(s.spec?.vaultAuthRef ?? '').split('/');
    if (parts.length === 2 && parts[0] && parts[1] && parts[0] !== cluster.namespace) refs.add(`${parts[0]}/${parts[1]}`);
  }
  const auths: VsoObject[] = [];
  const unreadable: string[] = [];
  await Promise.all([...refs].map(async (ref) => {
    const [ns, name] = ref.split('/') as [string, string];
    try {
      const o = await kubeOp(cluster, VSO_OPS.VaultAuth.read, { name, namespace: ns },
        () => getJson<any>(cluster.kc, vsoPath(ns, 'VaultAuth', name), {}, signal), { signal });
      auths.push({ ...o, kind: 'VaultAuth' });
    } catch (e) {
      if (isTerrariumError(e, 'Cancelled')) throw e;
      if (!isTerrariumError(e, 'NotFound')) unreadable.push(ref);
    }
  }));
  return { auths, unreadable: unreadable.sort() };
}

/** A Warning event about a VSO object, the fields the panel shows. */
export interface WarningEvent { kind: string; name: string; reason: string; message: string; time?: string; count: number }

/** Recent Warning events in the namespace about VSO objects (Kubernetes keeps events about an hour). */
export async function readVsoWarnings(cluster: Cluster, signal?: AbortSignal): Promise<WarningEvent[]> {
  const res = await listOpJson<any>(cluster, OPS.listEvents,
    pathOf(OPS.listEvents, cluster.namespace), { fieldSelector: 'type=Warning' }, { signal });
  return res.items
    .filter((e) => e.type === 'Warning' && (SECRET_KINDS as readonly string[]).includes(e.involvedObject?.kind))
    .map((e) => ({
      kind: String(e.involvedObject.kind), name: String(e.involvedObject.name ?? ''), reason: String(e.reason ?? ''),
      message: String(e.message ?? ''), time: e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? undefined, count: Number(e.count ?? 1) || 1,
    }))
    .sort((a, b) => String(b.time ?? '').localeCompare(String(a.time ?? '')));
}

/** What the secrets view needs in one read: the VSO objects, their recent warnings, and their destinations' shapes. */
export async function readVsoSecrets(cluster: Cluster, shapes: SecretShapes, signal?: AbortSignal): Promise<{ vso: VsoSnapshot; warnings: WarningEvent[]; destinations: Map<string, SecretShape> }> {
  const vso = await readVso(cluster, signal);
  if (vso.status !== 'installed') return { vso, warnings: [], destinations: new Map() };
  const [warnings, destinations] = await Promise.all([
    readVsoWarnings(cluster, signal).catch(() => []),
    shapesOf(shapes, vso.secrets.map(destinationOf), signal),
  ]);
  return { vso, warnings, destinations };
}
