import type { Cluster } from '../kube/cluster';
import { isTerrariumError } from '../kube/errors';
import { kubeOp, OPS, pathOf } from '../kube/ops';
import { getJson } from '../kube/request';
import { isTerrariumManagedSecret } from './managed';

/**
 * What the panel knows about a Secret without reading its values: whether it exists and its key
 * names, from one metadata-only GET. Key names come from `metadata.managedFields` (every writer's
 * FieldsV1 lists the `data` keys it set). Only when they do not cover `data` (stripped, or a
 * server that keeps none) is the whole object read, once per resourceVersion, its values dropped
 * at once; the shape then says so (`keysFrom: 'fullRead'`). Secrets Terrarium manages (the host
 * key) are never read beyond their metadata.
 */
export interface SecretShape {
  exists: boolean;
  keys: string[];
  forbidden?: boolean;
  /** Terrarium's own Secret (e.g. `<env>-hostkey`): shown, never revealable; keys are not listed. */
  managed?: boolean;
  /** Where the key names came from: metadata only, or a full read that carried the values. */
  keysFrom?: 'managedFields' | 'fullRead';
}

const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

interface SecretMetadata {
  resourceVersion?: string;
  labels?: Record<string, string>;
  managedFields?: { fieldsType?: string; fieldsV1?: Record<string, any> }[];
}

/**
 * Key names from managedFields, or undefined when they cannot be trusted to cover `data`: no
 * entries, an entry in a format other than FieldsV1, or no entry mentioning data at all.
 */
export function keysFromManagedFields(meta: SecretMetadata | undefined): string[] | undefined {
  const entries = meta?.managedFields;
  if (!Array.isArray(entries) || !entries.length) return undefined;
  const keys = new Set<string>();
  let sawData = false;
  for (const e of entries) {
    if (e.fieldsType !== 'FieldsV1' || !e.fieldsV1 || typeof e.fieldsV1 !== 'object') return undefined;
    // stringData is merged into data on write; a writer may be recorded under either.
    for (const field of ['f:data', 'f:stringData']) {
      const data = e.fieldsV1[field];
      if (!data || typeof data !== 'object') continue;
      sawData = true;
      for (const k of Object.keys(data)) if (k.startsWith('f:')) keys.add(k.slice(2));
    }
  }
  return sawData ? [...keys].sort() : undefined;
}

export class SecretShapes {
  private readonly cache = new Map<string, { rv: string; keys: string[] }>();

  constructor(private readonly cluster: Cluster) {}

  private path(name: string): string {
    return pathOf(OPS.readSecret, this.cluster.namespace, name);
  }

  async shape(name: string, signal?: AbortSignal): Promise<SecretShape> {
    let meta: { metadata?: SecretMetadata };
    try {
      meta = await kubeOp(this.cluster, OPS.readSecret, { name },
        () => getJson(this.cluster.kc, this.path(name), {}, signal, METADATA_ONLY), { signal });
    } catch (e) {
      if (isTerrariumError(e, 'NotFound')) { this.cache.delete(name); return { exists: false, keys: [] }; }
      if (isTerrariumError(e, 'Forbidden')) return { exists: true, keys: [], forbidden: true };
      throw e;
    }
    if (isTerrariumManagedSecret(name, meta.metadata?.labels)) return { exists: true, keys: [], managed: true };
    const fromMeta = keysFromManagedFields(meta.metadata);
    if (fromMeta) return { exists: true, keys: fromMeta, keysFrom: 'managedFields' };
    const rv = meta.metadata?.resourceVersion ?? '';
    const hit = this.cache.get(name);
    if (hit && hit.rv === rv) return { exists: true, keys: hit.keys, keysFrom: 'fullRead' };
    try {
      const full = await kubeOp(this.cluster, OPS.readSecret, { name },
        () => getJson<{ data?: Record<string, string>; metadata?: SecretMetadata }>(this.cluster.kc, this.path(name), {}, signal), { signal });
      if (isTerrariumManagedSecret(name, full.metadata?.labels)) return { exists: true, keys: [], managed: true };
      const keys = Object.keys(full.data ?? {}).sort();
      this.cache.set(name, { rv: full.metadata?.resourceVersion ?? rv, keys });
      return { exists: true, keys, keysFrom: 'fullRead' };
    } catch (e) {
      if (isTerrariumError(e, 'NotFound')) return { exists: false, keys: [] };
      if (isTerrariumError(e, 'Forbidden')) return { exists: true, keys: [], forbidden: true };
      throw e;
    }
  }
}

/** Runs fn over items with at most `limit` in flight: one round trip per Secret adds up in big namespaces. */
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < items.length) await fn(items[next++]!); };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The shapes of these Secrets, 8 requests at a time. */
export async function shapesOf(shapes: SecretShapes, names: Iterable<string>, signal?: AbortSignal): Promise<Map<string, SecretShape>> {
  const out = new Map<string, SecretShape>();
  await forEachLimited([...new Set(names)], 8, async (name) => { out.set(name, await shapes.shape(name, signal)); });
  return out;
}
