/** The patch types the product and kubectl send: JSON Patch, JSON Merge Patch, strategic merge and apply (server-side apply itself is machinery/managedFields). */
import { ApiError, badRequest } from '../../machinery/errors';

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: any, patch: any): any {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, any> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Strategic merge patch (https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
 * and k8s.io/apimachinery/pkg/util/strategicpatch): lists with patchStrategy=merge merge by their
 * patchMergeKey as the Go types declare it (containers, initContainers, env, volumes,
 * imagePullSecrets by name; volumeMounts by mountPath; container ports by containerPort; Service
 * ports by port; conditions by type; ownerReferences by uid; finalizers as a set); other lists
 * are replaced. Directives: `$patch: replace|delete|merge` in maps and list items,
 * `{$patch: replace}` as a list's first item, `$retainKeys`; `$setElementOrder/…` and
 * `$deleteFromPrimitiveList/…` are accepted and ignored (order is not kept).
 */
function mergeKeyOf(parents: string[], name: string): string | 'set' | undefined {
  if (name === 'finalizers' && parents.length === 1 && parents[0] === 'metadata') return 'set';
  if (name === 'ports') {
    const parent = parents[parents.length - 1];
    if (parent === 'containers' || parent === 'initContainers' || parent === 'ephemeralContainers') return 'containerPort';
    if (parents.length === 1 && parent === 'spec') return 'port';
    return undefined;
  }
  return ({
    containers: 'name', initContainers: 'name', ephemeralContainers: 'name', volumes: 'name', volumeMounts: 'mountPath', env: 'name',
    imagePullSecrets: 'name', conditions: 'type', ownerReferences: 'uid', hostAliases: 'ip',
  } as Record<string, string>)[name];
}

export function strategicMerge(target: any, patch: any, parents: string[] = [], name?: string): any {
  if (Array.isArray(patch) && name !== undefined) {
    const mk = mergeKeyOf(parents, name);
    if (patch.some((x) => isObj(x) && x.$patch === 'replace')) return patch.filter((x) => !(isObj(x) && x.$patch === 'replace')).map((x) => structuredClone(x));
    if (mk === 'set' && Array.isArray(target)) return [...target, ...patch.filter((v) => !target.includes(v))];
    if (!mk || mk === 'set' || !Array.isArray(target)) return patch.filter((x) => !(isObj(x) && x.$patch === 'delete')).map((x) => stripDirectives(x));
    const out = target.map((x) => structuredClone(x));
    const itemParents = [...parents, name];
    for (const item of patch) {
      const i = isObj(item) ? out.findIndex((x) => isObj(x) && x[mk] === item[mk]) : -1;
      if (isObj(item) && item.$patch === 'delete') { if (i >= 0) out.splice(i, 1); continue; }
      if (isObj(item) && item.$patch === 'replace') { const { $patch: _p, ...rest } = item; if (i >= 0) out[i] = rest; else out.push(rest); continue; }
      if (i >= 0) out[i] = strategicMerge(out[i], item, itemParents);
      else out.push(stripDirectives(item));
    }
    return out;
  }
  if (!isObj(patch)) return structuredClone(patch);
  if (patch.$patch === 'delete') return undefined;
  const replace = patch.$patch === 'replace';
  let out: Record<string, any> = isObj(target) && !replace ? { ...target } : {};
  const here = name === undefined ? parents : [...parents, name];
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set<string>(patch.$retainKeys);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) { delete out[k]; continue; }
    const merged = strategicMerge(out[k], v, here, k);
    if (merged === undefined) delete out[k]; else out[k] = merged;
  }
  return out;
}

function stripDirectives(v: any): any {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return structuredClone(v);
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('$')).map(([k, x]) => [k, stripDirectives(x)]));
}

const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

export function jsonPatch(doc: any, ops: any[]): any {
  if (!Array.isArray(ops)) throw badRequest('json patch must be a list of operations');
  let out = structuredClone(doc);
  const walk = (path: string): { parent: any; key: string } => {
    const parts = path.split('/').slice(1).map(unescape);
    const key = parts.pop();
    if (key === undefined) throw badRequest(`invalid json patch path "${path}"`);
    let parent = out;
    for (const p of parts) {
      if (parent == null || typeof parent !== 'object') throw badRequest(`json patch path "${path}" does not exist`);
      parent = parent[p];
    }
    if (parent == null || typeof parent !== 'object') throw badRequest(`json patch path "${path}" does not exist`);
    return { parent, key };
  };
  const get = (path: string) => { const { parent, key } = walk(path); return parent[key]; };
  const put = (path: string, value: any, insert: boolean) => {
    if (path === '') { out = value; return; }
    const { parent, key } = walk(path);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (insert) parent.splice(i, 0, value); else parent[i] = value;
    } else parent[key] = value;
  };
  const remove = (path: string) => {
    const { parent, key } = walk(path);
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else if (key in parent) delete parent[key];
    else throw badRequest(`unable to remove nonexistent key: ${key}`);
  };
  for (const op of ops) {
    switch (op.op) {
      case 'add': put(op.path, structuredClone(op.value), true); break;
      case 'replace': put(op.path, structuredClone(op.value), false); break;
      case 'remove': remove(op.path); break;
      case 'test':
        if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value)) throw new (class extends Error {})('test failed');
        break;
      case 'move': { const v = get(op.from); remove(op.from); put(op.path, v, true); break; }
      case 'copy': put(op.path, structuredClone(get(op.from)), true); break;
      default: throw badRequest(`unknown json patch op "${op.op}"`);
    }
  }
  return out;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const BUILT_IN_PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
/** Custom resources have no Go types to take merge keys from: no strategic merge (apiextensions customresource_handler). */
const CUSTOM_PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

/** Built-in groups are "" or unqualified (apps, batch) or *.k8s.io; CRD groups must contain a dot and cannot be k8s.io. */
export const isCustomGroup = (group: string) => group.includes('.') && !group.endsWith('.k8s.io') && group !== 'k8s.io';

/** The patch type of a Content-Type; 415 UnsupportedMediaType with negotiation's text for anything else. */
export function patchTypeOf(contentType: string | undefined, opts: { custom?: boolean } = {}): PatchType {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const accepted = opts.custom ? CUSTOM_PATCH_TYPES : BUILT_IN_PATCH_TYPES;
  if (!accepted.includes(ct) && ct !== 'application/apply-patch+json') {
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
  }
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  return 'apply';
}

export function applyPatch(type: PatchType, doc: any, patch: any): any {
  switch (type) {
    case 'json': return jsonPatch(doc, patch);
    case 'merge': return mergePatch(doc, patch);
    case 'strategic':
    case 'apply': return strategicMerge(doc, patch);
  }
}
