/**
 * metadata.managedFields, the way kube-apiserver records them for non-apply writes (see
 * https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management): one entry
 * per (manager, operation) with the fields it set as a FieldsV1 tree ("f:data": {"f:KEY": {}}).
 * A write gives its manager every field whose value it changed and takes those fields from the
 * other managers; removed fields leave every set; entries left with no fields are dropped.
 * Simplifications, kept small on purpose: lists are atomic leaves (no "k:"/"v:" keys) and Apply is
 * recorded like an Update under operation "Apply". Only the kinds in TRACKED record them (the
 * product reads Secret key names from them); `managedFields: [{}]` in a write strips them, as on
 * a real server.
 */
export const TRACKED = new Set(['Secret']);

export interface WriteManager { manager: string; operation?: 'Update' | 'Apply' }

type Tree = { [k: string]: Tree };
interface Entry { manager: string; operation: string; apiVersion: string; time: string; fieldsType: 'FieldsV1'; fieldsV1: Tree }

/** Set by the server, not by a writer: never owned. */
const SERVER_FIELDS = new Set(['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.resourceVersion', 'metadata.generation',
  'metadata.creationTimestamp', 'metadata.deletionTimestamp', 'metadata.managedFields', 'metadata.selfLink', 'apiVersion', 'kind']);

/** Leaf paths of an object and their JSON values ("data\u0000KEY" -> "\"c2VjcmV0\""). */
function leaves(obj: unknown, prefix: string[] = [], out = new Map<string, string>()): Map<string, string> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj) && Object.keys(obj).length) {
    for (const [k, v] of Object.entries(obj)) {
      const path = [...prefix, k];
      if (!SERVER_FIELDS.has(path.join('.'))) leaves(v, path, out);
    }
  } else if (prefix.length) {
    out.set(prefix.join('\u0000'), JSON.stringify(obj));
  }
  return out;
}

function toTree(paths: Iterable<string>): Tree {
  const root: Tree = {};
  for (const p of paths) {
    let node = root;
    for (const k of p.split('\u0000')) node = node[`f:${k}`] ??= {};
  }
  return root;
}

function fromTree(tree: Tree, prefix: string[] = [], out = new Set<string>()): Set<string> {
  for (const [k, sub] of Object.entries(tree ?? {})) {
    if (!k.startsWith('f:')) continue;
    const path = [...prefix, k.slice(2)];
    if (Object.keys(sub).some((x) => x.startsWith('f:'))) fromTree(sub, path, out);
    else out.add(path.join('\u0000'));
  }
  return out;
}

const nowSeconds = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * The managedFields of `next` after `who` wrote it over `old` (undefined on create). `sent` is
 * what the writer put in metadata.managedFields: `[{}]` strips them all.
 */
export function recordManagedFields(kind: string, apiVersion: string, old: any, next: any, who: WriteManager | undefined, sent: unknown): Entry[] | undefined {
  if (!TRACKED.has(kind)) return undefined;
  if (Array.isArray(sent) && sent.length === 1 && sent[0] && typeof sent[0] === 'object' && !Object.keys(sent[0]).length) return undefined;
  const before = old ? leaves(old) : new Map<string, string>();
  const after = leaves(next);
  const changed = [...after].filter(([p, v]) => before.get(p) !== v).map(([p]) => p);
  const removed = [...before.keys()].filter((p) => !after.has(p));
  const operation = who?.operation ?? 'Update';
  const manager = who?.manager ?? 'unknown';
  const entries: Entry[] = [];
  let mine: Entry | undefined;
  for (const e of (old?.metadata?.managedFields ?? []) as Entry[]) {
    const set = fromTree(e.fieldsV1);
    for (const p of removed) set.delete(p);
    const isMine = e.manager === manager && e.operation === operation;
    for (const p of changed) { if (isMine) set.add(p); else set.delete(p); }
    if (!set.size) continue;
    const grew = isMine && changed.length > 0;
    const entry = { ...e, fieldsV1: toTree(set), ...(grew ? { time: nowSeconds() } : {}) };
    if (isMine) mine = entry;
    entries.push(entry);
  }
  if (!mine && changed.length) entries.push({ manager, operation, apiVersion, time: nowSeconds(), fieldsType: 'FieldsV1', fieldsV1: toTree(changed) });
  return entries.length ? entries : undefined;
}

/** The manager of an HTTP write: ?fieldManager=, else the user agent up to its first "/" (as the API server does). */
export function managerOf(query: URLSearchParams, userAgent: string | undefined, operation: 'Update' | 'Apply' = 'Update'): WriteManager {
  return { manager: query.get('fieldManager') || (userAgent ?? '').split('/')[0] || 'unknown', operation };
}
