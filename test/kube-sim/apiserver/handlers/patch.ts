/** The patch types the product and kubectl send: JSON Patch, JSON Merge Patch, strategic merge and apply. */
import { badRequest } from '../../machinery/errors';

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

/** Lists that strategic merge merges by a key instead of replacing (the ones in pod specs). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name', initContainers: 'name', volumes: 'name', volumeMounts: 'mountPath', env: 'name',
  ports: 'containerPort', imagePullSecrets: 'name', volumeClaimTemplates: 'name', conditions: 'type',
};

export function strategicMerge(target: any, patch: any, key?: string): any {
  if (Array.isArray(patch) && key && MERGE_KEYS[key] && Array.isArray(target)) {
    const mk = MERGE_KEYS[key]!;
    const out = target.map((x) => structuredClone(x));
    for (const item of patch) {
      if (isObj(item) && item.$patch === 'delete') {
        const i = out.findIndex((x) => isObj(x) && x[mk] === item[mk]);
        if (i >= 0) out.splice(i, 1);
        continue;
      }
      const i = isObj(item) ? out.findIndex((x) => isObj(x) && x[mk] === item[mk]) : -1;
      if (i >= 0) out[i] = strategicMerge(out[i], item);
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, any> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v, k);
  }
  return out;
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

export function patchTypeOf(contentType: string | undefined): PatchType {
  const ct = (contentType ?? '').split(';')[0]!.trim();
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+json') return 'apply';
  throw Object.assign(badRequest(`the server does not support patches of type "${ct}"`), { code: 415 });
}

export function applyPatch(type: PatchType, doc: any, patch: any): any {
  switch (type) {
    case 'json': return jsonPatch(doc, patch);
    case 'merge': return mergePatch(doc, patch);
    case 'strategic':
    case 'apply': return strategicMerge(doc, patch);
  }
}
