/**
 * Storage (what etcd is to kube-apiserver): objects by resource, namespace and name, with a global
 * resourceVersion, uid/generation/creationTimestamp stamping, no-op write detection, managedFields,
 * and a bounded watch history (older events are compacted away: watching from before is 410).
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { alreadyExists, conflict, gone, notFound } from '../machinery/errors';
import { recordManagedFields, type WriteManager } from '../machinery/managedFields';
import { nowRfc3339, type KubeObject, type ObjectInput } from '../machinery/types';
import { groupVersion, hasStatusSubresource, type ResourceDef } from '../registry/types';

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface WatchEvent { rv: number; type: WatchType; res: ResourceDef; object: KubeObject; /** The object before a MODIFIED or DELETED event (to list at an older resourceVersion). */ prev?: KubeObject }
type Listener = (e: WatchEvent) => void;

const keyOf = (r: ResourceDef, ns: string | undefined, name: string) => `${r.group}/${r.plural}/${ns ?? ''}/${name}`;

/** etcd's order: keys compared as bytes (kube-apiserver lists in key order), not by locale. */
const byKey = (a: KubeObject, b: KubeObject) => {
  const x = `${a.metadata.namespace ?? ''}/${a.metadata.name}`, y = `${b.metadata.namespace ?? ''}/${b.metadata.name}`;
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Objects by key, and by resource too: a list walks only its resource's objects (a walk over every
 * object, Events and Leases included, was the largest cost of kube-sim's own under load).
 */
class ObjectIndex {
  private all = new Map<string, KubeObject>();
  private byResource = new Map<string, Map<string, KubeObject>>();
  get(key: string): KubeObject | undefined { return this.all.get(key); }
  has(key: string): boolean { return this.all.has(key); }
  set(r: ResourceDef, key: string, o: KubeObject): void {
    this.all.set(key, o);
    const res = `${r.group}/${r.plural}`;
    let m = this.byResource.get(res);
    if (!m) this.byResource.set(res, (m = new Map()));
    m.set(key, o);
  }
  delete(r: ResourceDef, key: string): void {
    this.all.delete(key);
    this.byResource.get(`${r.group}/${r.plural}`)?.delete(key);
  }
  of(r: ResourceDef): Iterable<KubeObject> { return this.byResource.get(`${r.group}/${r.plural}`)?.values() ?? []; }
}

export class Store {
  private objects = new ObjectIndex();
  private history: WatchEvent[] = [];
  private listeners = new Set<Listener>();
  rv = 1;
  /** Events older than this resourceVersion have been compacted away (watching from before is 410). */
  compactedBefore = 0;
  /**
   * How many events the watch history keeps (etcd compaction, in events rather than minutes; tests
   * lower it to reach 410 Expired). Lists at an older resourceVersion and continue tokens use it too.
   */
  historyLimit: number;
  constructor(historyLimit = 5000) { this.historyLimit = historyLimit; }

  /** A copy of the object, or undefined. Typed `any` on purpose: tests reach into what they read (use find() for a typed read). */
  get(r: ResourceDef, ns: string | undefined, name: string): any {
    return this.find(r, ns, name);
  }

  find(r: ResourceDef, ns: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(keyOf(r, ns, name));
    return o && structuredClone(o);
  }

  /** The stored object itself, not a copy, for a reader that never modifies it (authorization). */
  peek(r: ResourceDef, ns: string | undefined, name: string): Readonly<KubeObject> | undefined {
    return this.objects.get(keyOf(r, ns, name));
  }

  mustGet(r: ResourceDef, ns: string | undefined, name: string): KubeObject {
    const o = this.find(r, ns, name);
    if (!o) throw notFound(r.plural, r.group, name);
    return o;
  }

  list(r: ResourceDef, ns?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.objects.of(r)) {
      if (ns !== undefined && r.namespaced && o.metadata.namespace !== ns) continue;
      out.push(structuredClone(o));
    }
    return out.sort(byKey);
  }

  /**
   * The stored objects themselves, not copies, for a reader that only serializes them at once (an
   * API LIST): copying every object of a large list was most of a LIST's cost. Never modify them.
   */
  listView(r: ResourceDef, ns?: string): readonly Readonly<KubeObject>[] {
    const out: KubeObject[] = [];
    for (const o of this.objects.of(r)) {
      if (ns !== undefined && r.namespaced && o.metadata.namespace !== ns) continue;
      out.push(o);
    }
    return out.sort(byKey);
  }

  /**
   * `who` records the writer in managedFields; without it they stay as they were. `managed`: the
   * entries server-side apply computed (stored as given).
   */
  create(r: ResourceDef, obj: ObjectInput, who?: WriteManager, managed?: { managedFields: unknown[] | undefined }): KubeObject {
    const meta = obj.metadata ?? {};
    const ns = r.namespaced ? meta.namespace : undefined;
    const key = keyOf(r, ns, meta.name!);
    if (this.objects.has(key)) throw alreadyExists(r.plural, r.group, meta.name!);
    const o = structuredClone(obj) as KubeObject;
    o.metadata = {
      ...o.metadata, uid: randomUUID(), creationTimestamp: nowRfc3339(),
      resourceVersion: String(++this.rv), generation: 1,
    };
    if (!r.namespaced) delete o.metadata.namespace;
    if (managed) this.setEntries(o, managed.managedFields);
    else this.setManagedFields(r, undefined, o, who);
    this.objects.set(r, key, o);
    this.emit('ADDED', r, o);
    return structuredClone(o);
  }

  /** Replaces an object. With a resourceVersion in `obj`, it must match (optimistic concurrency). */
  update(r: ResourceDef, obj: KubeObject, opts: { statusOnly?: boolean; checkVersion?: boolean; who?: WriteManager; managed?: { managedFields: unknown[] | undefined } } = {}): KubeObject {
    const ns = r.namespaced ? obj.metadata.namespace : undefined;
    const key = keyOf(r, ns, obj.metadata.name);
    const cur = this.objects.get(key);
    if (!cur) throw notFound(r.plural, r.group, obj.metadata.name);
    const wanted = obj.metadata.resourceVersion;
    if ((opts.checkVersion ?? true) && wanted && wanted !== cur.metadata.resourceVersion) throw conflict(r.plural, r.group, obj.metadata.name);
    const next = structuredClone(obj);
    if (opts.statusOnly) {
      const keep = structuredClone(cur);
      keep.status = next.status;
      if (opts.managed) this.setEntries(keep, opts.managed.managedFields);
      else if (opts.who) this.setEntries(keep, recordManagedFields(groupVersion(r), cur, keep, { ...opts.who, subresource: 'status' }, next.metadata.managedFields));
      return this.put(r, key, keep, cur);
    }
    // status is written through /status only (as for resources with a status subresource)
    if (hasStatusSubresource(r) && cur.status !== undefined) next.status = cur.status;
    next.metadata = {
      ...next.metadata, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp,
      generation: cur.metadata.generation, ...(cur.metadata.deletionTimestamp ? { deletionTimestamp: cur.metadata.deletionTimestamp } : {}),
    };
    if (JSON.stringify(next.spec) !== JSON.stringify(cur.spec) && next.spec !== undefined) next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    if (opts.managed) this.setEntries(next, opts.managed.managedFields);
    else this.setManagedFields(r, cur, next, opts.who);
    const written = this.put(r, key, next, cur);
    // The last finalizer of an object being deleted is gone: it is deleted now (genericregistry Store.Update).
    if (written.metadata.deletionTimestamp && !written.metadata.finalizers?.length && r.kind !== 'Pod' && !(r.kind === 'Namespace' && !r.group)) {
      return this.delete(r, ns, written.metadata.name);
    }
    return written;
  }

  private setManagedFields(r: ResourceDef, cur: KubeObject | undefined, next: KubeObject, who: WriteManager | undefined): void {
    const sent = next.metadata.managedFields;
    const keep = cur?.metadata?.managedFields;
    const strip = Array.isArray(sent) && sent.length === 1 && sent[0] && !Object.keys(sent[0]).length;
    // Status belongs to the status subresource: writes to the main resource never own it.
    const entries = who || strip ? recordManagedFields(groupVersion(r), cur, next, who, sent, { skipStatus: hasStatusSubresource(r) }) : keep;
    this.setEntries(next, entries);
  }

  private setEntries(o: KubeObject, entries: unknown[] | undefined): void {
    if (entries?.length) o.metadata.managedFields = entries;
    else delete o.metadata.managedFields;
  }

  private put(r: ResourceDef, key: string, next: KubeObject, cur: KubeObject): KubeObject {
    // Key order does not matter (an apply may rebuild metadata in another order than stored).
    const same = isDeepStrictEqual({ ...next, metadata: { ...next.metadata, resourceVersion: '' } },
      { ...cur, metadata: { ...cur.metadata, resourceVersion: '' } });
    if (same) return structuredClone(cur); // no-op writes do not bump resourceVersion, like the real API
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(r, key, next);
    this.emit('MODIFIED', r, next, cur);
    return structuredClone(next);
  }

  delete(r: ResourceDef, ns: string | undefined, name: string): KubeObject {
    const key = keyOf(r, r.namespaced ? ns : undefined, name);
    const cur = this.objects.get(key);
    if (!cur) throw notFound(r.plural, r.group, name);
    this.objects.delete(r, key);
    const prev = structuredClone(cur);
    cur.metadata.resourceVersion = String(++this.rv);
    this.emit('DELETED', r, cur, prev);
    return structuredClone(cur);
  }

  private emit(type: WatchType, res: ResourceDef, object: KubeObject, prev?: KubeObject): void {
    const e: WatchEvent = { rv: this.rv, type, res, object: structuredClone(object), ...(prev ? { prev: structuredClone(prev) } : {}) };
    this.history.push(e);
    while (this.history.length > Math.max(0, this.historyLimit)) this.compactedBefore = this.history.shift()!.rv;
    const listeners = [...this.listeners];
    for (const l of listeners) l({ rv: e.rv, type, res, object: e.object });
  }

  /** Events after `rv` (exclusive); 410 when they were compacted away. */
  since(rv: number): WatchEvent[] {
    if (rv < this.compactedBefore) throw gone(`too old resource version: ${rv} (${this.compactedBefore})`);
    return this.history.filter((e) => e.rv > rv);
  }

  /**
   * The objects of a kind as they were at resourceVersion `rv` (a consistent snapshot, as etcd
   * serves a list at a revision): the current objects with newer events undone. 410 Expired
   * ("The resourceVersion for the provided list is too old.", storage/etcd3/errors.go) when the
   * events were compacted away.
   */
  listAt(r: ResourceDef, ns: string | undefined, rv: number): KubeObject[] {
    if (rv < this.compactedBefore) throw gone('The resourceVersion for the provided list is too old.');
    const atRv = new Map(this.list(r, ns).map((o) => [keyOf(r, r.namespaced ? o.metadata.namespace : undefined, o.metadata.name), o]));
    for (let i = this.history.length - 1; i >= 0 && this.history[i]!.rv > rv; i--) {
      const e = this.history[i]!;
      if (e.res !== r || (ns !== undefined && r.namespaced && e.object.metadata.namespace !== ns)) continue;
      const key = keyOf(r, r.namespaced ? e.object.metadata.namespace : undefined, e.object.metadata.name);
      if (e.type === 'ADDED') atRv.delete(key);
      else atRv.set(key, structuredClone(e.prev!));
    }
    return [...atRv.values()].sort(byKey);
  }

  compact(): void {
    this.history = [];
    this.compactedBefore = this.rv;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
