/**
 * Non-resource endpoints: /version and legacy discovery (/api, /apis, /api/v1, /apis/{group}/{version})
 * as kubectl reads them, and /openapi/v3 (handlers/openapi.ts). /openapi/v2 is not served (404), nor /apis/{group}, nor the aggregated
 * discovery formats; disabled groups (an operator uninstalled) are left out.
 */
import { noSuchResource, notFound } from '../../machinery/errors';
import { registry, type Registry } from '../../registry';
import type { ResourceDef } from '../../registry/types';
import { writeJson } from '../http';
import { serveOpenApi } from './openapi';
import type { RequestInfo } from '../requestInfo';
import type { ServerResponse } from 'node:http';

const VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.0-kube-sim', platform: 'linux/amd64', goVersion: 'go1.22' };

function subresourceEntry(r: ResourceDef, sub: string): object {
  const kind = sub === 'scale' ? 'Scale' : sub === 'exec' || sub === 'attach' || sub === 'portforward' ? `Pod${sub[0]!.toUpperCase()}${sub.slice(1)}Options` : r.kind;
  const verbs = sub === 'log' ? ['get'] : ['exec', 'attach', 'portforward'].includes(sub) ? ['create', 'get'] : ['get', 'patch', 'update'];
  return { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced, kind, verbs, ...(sub === 'scale' ? { group: 'autoscaling', version: 'v1' } : {}) };
}

/** APIResourceList for discovery (kubectl reads this to map short names and kinds). */
export function apiResourceList(group: string, version: string, reg: Registry = registry): object {
  const resources: object[] = [];
  for (const r of reg.kinds.filter((k) => k.group === group && k.version === version)) {
    resources.push({ name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs, ...(r.shortNames ? { shortNames: r.shortNames } : {}) });
    for (const sub of r.subresources ?? []) resources.push(subresourceEntry(r, sub));
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function apiGroupList(hidden: ReadonlySet<string> = new Set(), reg: Registry = registry): object {
  const groups = [...new Set(reg.kinds.filter((r) => r.group && !hidden.has(r.group)).map((r) => `${r.group}/${r.version}`))].map((gv) => {
    const [name, version] = gv.split('/') as [string, string];
    return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** Serves a non-resource request; 404 for paths kube-sim does not serve. */
export function serveNonResource(res: ServerResponse, info: RequestInfo, disabledGroups: ReadonlySet<string>): void {
  const p = info.path;
  if (p === '/version') return writeJson(res, 200, VERSION);
  if (p === '/openapi/v3' || p.startsWith('/openapi/v3/')) return serveOpenApi(res, p, disabledGroups);
  if (p === '/api') return writeJson(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
  if (p === '/apis') return writeJson(res, 200, apiGroupList(disabledGroups));
  if (p === '/api/v1') return writeJson(res, 200, apiResourceList('', 'v1'));
  if (info.apiPrefix === 'apis' && info.apiVersion) {
    if (!registry.servesGroupVersion(info.apiGroup, info.apiVersion)) throw notFound('', '', p);
    return writeJson(res, 200, apiResourceList(info.apiGroup, info.apiVersion));
  }
  throw noSuchResource();
}
