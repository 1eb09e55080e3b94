/**
 * Field management and server-side apply, following
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/ (and the shapes of
 * sigs.k8s.io/structured-merge-diff: FieldsV1 trees with "f:<field>", "k:{<keys>}" for items of
 * associative lists, "v:<value>" for set items, "." for the item itself).
 *
 * Every kind records managedFields: one entry per (manager, operation, subresource).
 * - Update (POST/PUT/PATCH, scale): the writer gets every field whose value it changed and those
 *   fields leave the other managers' sets; removed fields leave every set.
 * - Apply: the applier's set becomes exactly the fields of its configuration. A field it sets to
 *   a value other than the live one, owned by another manager, is a conflict (409 Conflict,
 *   causes of type FieldManagerConflict) unless force=true, which takes the field over. Fields the
 *   applier owned before and no longer states are removed from the object unless another manager
 *   owns them. Same-value fields are shared.
 *
 * List types: associative lists merge by their keys (containers, initContainers, env, volumes,
 * imagePullSecrets by name; volumeMounts by mountPath; container ports by containerPort+protocol;
 * Service ports by port+protocol; conditions by type; ownerReferences by uid; tolerations and
 * every other list atomic; finalizers a set). Approximated: the list types come from this table by
 * field name and parent, not from the OpenAPI schema; a list not in it is atomic; unknown fields are
 * kept (no schema pruning here); maps emptied by a removal are pruned.
 * `managedFields: [{}]` in a write strips them, as on a real server.
 */
import { ApiError } from './errors';

export interface WriteManager { manager: string; operation?: 'Update' | 'Apply'; subresource?: string }

type Tree = { [k: string]: Tree };
export interface ManagedFieldsEntry {
  manager: string; operation: string; apiVersion: string; time: string; fieldsType: 'FieldsV1'; fieldsV1: Tree; subresource?: string;
}

const SEP = '\u0000';
/** Set by the server, not by a writer: never owned. */
const SERVER_FIELDS = new Set(['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.resourceVersion', 'metadata.generation',
  'metadata.creationTimestamp', 'metadata.deletionTimestamp', 'metadata.deletionGracePeriodSeconds', 'metadata.managedFields',
  'metadata.selfLink', 'apiVersion', 'kind']);

type ListType = { type: 'map'; keys: string[]; defaults?: Record<string, unknown> } | { type: 'set' } | { type: 'atomic' };

const BY_NAME: Record<string, string[]> = {
  containers: ['name'], initContainers: ['name'], ephemeralContainers: ['name'], env: ['name'], volumes: ['name'],
  imagePullSecrets: ['name'], volumeMounts: ['mountPath'], volumeDevices: ['devicePath'], conditions: ['type'],
  ownerReferences: ['uid'], hostAliases: ['ip'], topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
};
const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** The list type of field `name` whose parent fields are `parents` (names only, list items skipped). */
export function listTypeOf(parents: string[], name: string): ListType {
  if (name === 'finalizers' && parents.length === 1 && parents[0] === 'metadata') return { type: 'set' };
  if (name === 'ports') {
    const parent = parents[parents.length - 1];
    if (parent && CONTAINER_LISTS.has(parent)) return { type: 'map', keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } };
    if (parents.length === 1 && parent === 'spec') return { type: 'map', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } };
    return { type: 'atomic' };
  }
  const keys = BY_NAME[name];
  return keys ? { type: 'map', keys } : { type: 'atomic' };
}

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

function itemKey(item: any, lt: Extract<ListType, { type: 'map' }>): Record<string, unknown> {
  const k: Record<string, unknown> = {};
  for (const name of [...lt.keys].sort()) {
    const v = isObj(item) ? item[name] ?? lt.defaults?.[name] : undefined;
    if (v !== undefined) k[name] = v;
  }
  return k;
}
const keyElement = (item: any, lt: Extract<ListType, { type: 'map' }>) => `k:${JSON.stringify(itemKey(item, lt))}`;
const sameKey = (a: any, b: any, lt: Extract<ListType, { type: 'map' }>) => JSON.stringify(itemKey(a, lt)) === JSON.stringify(itemKey(b, lt));

/** The owned leaves of an object: path (FieldsV1 elements joined by NUL) -> JSON of the value there. */
export function leaves(obj: unknown, opts: { skipStatus?: boolean } = {}): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown, path: string[], names: string[]) => {
    if (isObj(v) && Object.keys(v).length) {
      for (const [k, sub] of Object.entries(v)) {
        const dotted = [...names, k].join('.');
        if (path.length === names.length && (SERVER_FIELDS.has(dotted) || (opts.skipStatus && dotted === 'status'))) continue;
        walkField(sub, [...path, `f:${k}`], names, k);
      }
    } else if (path.length) out.set(path.join(SEP), JSON.stringify(v));
  };
  const walkField = (v: unknown, path: string[], parents: string[], name: string) => {
    if (Array.isArray(v)) {
      const lt = listTypeOf(parents, name);
      if (lt.type === 'map' && v.every(isObj)) {
        for (const item of v) {
          const el = [...path, keyElement(item, lt)];
          out.set([...el, '.'].join(SEP), '');
          for (const [k, sub] of Object.entries(item)) walkField(sub, [...el, `f:${k}`], [...parents, name], k);
        }
        return;
      }
      if (lt.type === 'set' && v.every((x) => !isObj(x) && !Array.isArray(x))) {
        for (const item of v) out.set([...path, `v:${JSON.stringify(item)}`].join(SEP), '');
        return;
      }
      out.set(path.join(SEP), JSON.stringify(v));
      return;
    }
    if (isObj(v) && Object.keys(v).length) {
      for (const [k, sub] of Object.entries(v)) {
        if (SERVER_FIELDS.has([...parents, name, k].join('.'))) continue;
        walkField(sub, [...path, `f:${k}`], [...parents, name], k);
      }
      return;
    }
    out.set(path.join(SEP), JSON.stringify(v));
  };
  walk(obj, [], []);
  return out;
}

function toTree(paths: Iterable<string>): Tree {
  const root: Tree = {};
  for (const p of paths) {
    let node = root;
    for (const k of p.split(SEP)) node = node[k] ??= {};
  }
  return root;
}

function fromTree(tree: Tree | undefined, prefix: string[] = [], out = new Set<string>()): Set<string> {
  for (const [k, sub] of Object.entries(tree ?? {})) {
    const path = [...prefix, k];
    if (sub && Object.keys(sub).length) fromTree(sub, path, out);
    else out.add(path.join(SEP));
  }
  return out;
}

/** fieldpath.Path.String(): `.spec.replicas`, `.spec.containers[name="sandbox"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(p: string): string {
  return p.split(SEP).filter((e) => e !== '.').map((e) => {
    if (e.startsWith('f:')) return `.${e.slice(2)}`;
    if (e.startsWith('v:')) return `[=${e.slice(2)}]`;
    const keys = JSON.parse(e.slice(2)) as Record<string, unknown>;
    return `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
  }).join('');
}

const nowSeconds = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const sameIdentity = (e: ManagedFieldsEntry, who: WriteManager, op: string) =>
  e.manager === who.manager && e.operation === op && (e.subresource ?? '') === (who.subresource ?? '');
const isStrip = (sent: unknown) => Array.isArray(sent) && sent.length === 1 && isObj(sent[0]) && !Object.keys(sent[0]).length;

/**
 * The managedFields of `next` after `who` wrote it over `old` (undefined on create) with an
 * Update. `sent` is what the writer put in metadata.managedFields: `[{}]` strips them all.
 */
export function recordManagedFields(apiVersion: string, old: any, next: any, who: WriteManager | undefined, sent: unknown,
  opts: { skipStatus?: boolean } = {}): ManagedFieldsEntry[] | undefined {
  if (isStrip(sent)) return undefined;
  const before = old ? leaves(old, opts) : new Map<string, string>();
  const after = leaves(next, opts);
  const changed = [...after].filter(([p, v]) => before.get(p) !== v).map(([p]) => p);
  const removed = [...before.keys()].filter((p) => !after.has(p));
  const writer: WriteManager = who ?? { manager: 'unknown' };
  const operation = writer.operation ?? 'Update';
  const entries: ManagedFieldsEntry[] = [];
  let mine: ManagedFieldsEntry | undefined;
  for (const e of (old?.metadata?.managedFields ?? []) as ManagedFieldsEntry[]) {
    const set = fromTree(e.fieldsV1);
    for (const p of removed) set.delete(p);
    const isMine = sameIdentity(e, writer, operation);
    for (const p of changed) { if (isMine) set.add(p); else set.delete(p); }
    if (!set.size) continue;
    const entry = { ...e, fieldsV1: toTree(set), ...(isMine && changed.length ? { time: nowSeconds() } : {}) };
    if (isMine) mine = entry;
    entries.push(entry);
  }
  if (!mine && changed.length) {
    entries.push({ manager: writer.manager, operation, apiVersion, time: nowSeconds(), fieldsType: 'FieldsV1', fieldsV1: toTree(changed),
      ...(writer.subresource ? { subresource: writer.subresource } : {}) });
  }
  return entries.length ? entries : undefined;
}

/** conflict.go printManager: `"m"` for appliers, `"m" using apps/v1` for updaters, with a subresource named. */
function printManager(e: ManagedFieldsEntry): string {
  const name = `"${e.manager}"${e.subresource ? ` with subresource "${e.subresource}"` : ''}`;
  return e.operation === 'Update' ? `${name} using ${e.apiVersion}` : name;
}

/** apimachinery's NewConflictError: 409 Conflict with one FieldManagerConflict cause per field. */
function conflictError(conflicts: { entry: ManagedFieldsEntry; path: string }[]): ApiError {
  const causes = conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${printManager(c.entry)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.entry)}: ${pathString(conflicts[0]!.path)}`;
  else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(printManager(c.entry), [...(byManager.get(printManager(c.entry)) ?? []), pathString(c.path)]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

/** Merges an apply configuration into the live object: maps field by field, associative lists by key, sets by value, the rest replaced. */
function mergeApplied(live: unknown, config: unknown, parents: string[], name: string | undefined): unknown {
  if (Array.isArray(config) && name !== undefined) {
    const lt = listTypeOf(parents, name);
    if (lt.type === 'map' && Array.isArray(live) && config.every(isObj)) {
      const out = live.map((x) => structuredClone(x));
      for (const item of config) {
        const i = out.findIndex((x) => sameKey(x, item, lt));
        if (i >= 0) out[i] = mergeApplied(out[i], item, [...parents, name], undefined);
        else out.push(structuredClone(item));
      }
      return out;
    }
    if (lt.type === 'set' && Array.isArray(live)) {
      const out = [...live];
      for (const v of config) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
      return out;
    }
    return structuredClone(config);
  }
  if (!isObj(config)) return structuredClone(config);
  const out: Record<string, any> = isObj(live) ? { ...live } : {};
  const names = name === undefined ? parents : [...parents, name];
  for (const [k, v] of Object.entries(config)) out[k] = mergeApplied(out[k], v, names, k);
  return out;
}

/** Removes the field at `path` (a leaf, a list item "…/k:{}/.", or a set value) and prunes maps it leaves empty. */
function removePath(obj: any, path: string): void {
  const els = path.split(SEP);
  const itemOnly = els[els.length - 1] === '.';
  if (itemOnly) els.pop();
  const stack: { parent: any; key: string | number }[] = [];
  let node: any = obj;
  for (let i = 0; i < els.length; i++) {
    const e = els[i]!;
    let key: string | number;
    if (e.startsWith('f:')) { if (!isObj(node)) return; key = e.slice(2); }
    else if (e.startsWith('k:')) {
      if (!Array.isArray(node)) return;
      const want = JSON.parse(e.slice(2)) as Record<string, unknown>;
      key = node.findIndex((x) => isObj(x) && Object.entries(want).every(([k, v]) => (x[k] ?? (k === 'protocol' ? 'TCP' : undefined)) === v));
      if (key < 0) return;
    } else if (e.startsWith('v:')) {
      if (!Array.isArray(node)) return;
      key = node.findIndex((x) => JSON.stringify(x) === e.slice(2));
      if (key < 0) return;
    } else return;
    if (i === els.length - 1) {
      if (Array.isArray(node)) node.splice(key as number, 1); else delete node[key];
      break;
    }
    stack.push({ parent: node, key });
    node = (node as any)[key];
    if (node === undefined) return;
  }
  // Prune maps (not lists) the removal emptied.
  for (let i = stack.length - 1; i >= 0; i--) {
    const { parent, key } = stack[i]!;
    const child = (parent as any)[key];
    if (isObj(child) && !Object.keys(child).length && !Array.isArray(parent)) delete parent[key];
    else break;
  }
}

/**
 * Server-side apply of `config` by `manager` over `live` (undefined: the object is created).
 * Returns the object to store, with its managedFields; throws 409 on conflicts unless `force`.
 */
export function serverSideApply(apiVersion: string, live: any, config: any, manager: string, force: boolean,
  opts: { skipStatus?: boolean; subresource?: string } = {}): any {
  const applied = leaves(config, opts);
  const who: WriteManager = { manager, operation: 'Apply', ...(opts.subresource ? { subresource: opts.subresource } : {}) };
  const base = structuredClone(live ?? {});
  const liveLeaves = live ? leaves(live, opts) : new Map<string, string>();
  const entries = ((live?.metadata?.managedFields ?? []) as ManagedFieldsEntry[]).map((e) => ({ e, set: fromTree(e.fieldsV1) }));
  const mine = entries.find((x) => sameIdentity(x.e, who, 'Apply'));
  const conflicts: { entry: ManagedFieldsEntry; path: string; owner: { e: ManagedFieldsEntry; set: Set<string> } }[] = [];
  for (const [p, v] of applied) {
    if (!liveLeaves.has(p) || liveLeaves.get(p) === v) continue;
    for (const x of entries) if (x !== mine && x.set.has(p)) conflicts.push({ entry: x.e, path: p, owner: x });
  }
  if (conflicts.length && !force) throw conflictError(conflicts);
  for (const c of conflicts) c.owner.set.delete(c.path);
  const { managedFields: _drop, ...liveMeta } = (base.metadata ?? {}) as Record<string, unknown>;
  let merged = mergeApplied({ ...base, metadata: liveMeta }, config, [], undefined) as any;
  // Fields this applier stated before and not now are removed, unless someone else owns them.
  const others = entries.filter((x) => x !== mine);
  const dropped = [...(mine?.set ?? [])].filter((p) => !applied.has(p) && !others.some((x) => x.set.has(p)));
  // Whole list items first (found by their keys while those are still there), then leaves, deepest first.
  dropped.sort((a, b) => (b.endsWith('.') ? 1 : 0) - (a.endsWith('.') ? 1 : 0) || b.length - a.length);
  merged = structuredClone(merged);
  for (const p of dropped) removePath(merged, p);
  const unchanged = mine && mine.set.size === applied.size && [...applied.keys()].every((p) => mine.set.has(p));
  const next: ManagedFieldsEntry[] = [];
  for (const x of entries) {
    if (x === mine) {
      next.push({ ...x.e, fieldsV1: toTree(applied.keys()), ...(unchanged ? {} : { time: nowSeconds() }), apiVersion });
      continue;
    }
    if (x.set.size) next.push({ ...x.e, fieldsV1: toTree(x.set) });
  }
  if (!mine && applied.size) {
    next.push({ manager, operation: 'Apply', apiVersion, time: nowSeconds(), fieldsType: 'FieldsV1', fieldsV1: toTree(applied.keys()),
      ...(opts.subresource ? { subresource: opts.subresource } : {}) });
  }
  merged.metadata = { ...(merged.metadata ?? {}), managedFields: next };
  if (!next.length) delete merged.metadata.managedFields;
  return merged;
}

/** The manager of an HTTP write: ?fieldManager=, else the user agent up to its first "/" (as the API server does). */
export function managerOf(query: URLSearchParams, userAgent: string | undefined, operation: 'Update' | 'Apply' = 'Update'): WriteManager {
  return { manager: query.get('fieldManager') || (userAgent ?? '').split('/')[0] || 'unknown', operation };
}
