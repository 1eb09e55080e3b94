import type { Cluster } from '../kube/cluster';
import { isTerrariumError } from '../kube/errors';
import { getJson } from '../kube/request';

/**
 * What the panel knows about a Secret without keeping its values: whether it exists (a
 * metadata-only GET, the check the operator itself does not report) and its key names. Key names
 * need the object, so it is read only when the metadata says it changed (resourceVersion); the
 * values are dropped at once and never leave this function.
 */
export interface SecretShape { exists: boolean; keys: string[]; forbidden?: boolean }

const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export class SecretShapes {
  private readonly cache = new Map<string, { rv: string; keys: string[] }>();

  constructor(private readonly cluster: Cluster) {}

  private path(name: string): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.cluster.namespace)}/secrets/${encodeURIComponent(name)}`;
  }

  async shape(name: string, signal?: AbortSignal): Promise<SecretShape> {
    let meta: { metadata?: { resourceVersion?: string } };
    try {
      meta = await this.cluster.call({ verb: 'get', resource: 'secrets', name },
        () => getJson(this.cluster.kc, this.path(name), {}, signal, METADATA_ONLY), { signal });
    } catch (e) {
      if (isTerrariumError(e, 'NotFound')) { this.cache.delete(name); return { exists: false, keys: [] }; }
      if (isTerrariumError(e, 'Forbidden')) return { exists: true, keys: [], forbidden: true };
      throw e;
    }
    const rv = meta.metadata?.resourceVersion ?? '';
    const hit = this.cache.get(name);
    if (hit && hit.rv === rv) return { exists: true, keys: hit.keys };
    try {
      const full = await this.cluster.call({ verb: 'get', resource: 'secrets', name },
        () => getJson<{ data?: Record<string, string>; metadata?: { resourceVersion?: string } }>(this.cluster.kc, this.path(name), {}, signal), { signal });
      const keys = Object.keys(full.data ?? {}).sort();
      this.cache.set(name, { rv: full.metadata?.resourceVersion ?? rv, keys });
      return { exists: true, keys };
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
