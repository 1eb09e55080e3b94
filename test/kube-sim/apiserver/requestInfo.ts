/**
 * Request attributes from a path and method, following the rules documented on
 * k8s.io/apiserver's RequestInfoFactory (pkg/endpoints/request/requestinfo.go):
 *
 *   resource paths:      /api/{version}/{resource}[/{name}[/{subresource}]]
 *                        /api/{version}/namespaces/{namespace}/{resource}[/{name}[/{subresource}]]
 *                        /apis/{group}/{version}/... (the same shapes)
 *   legacy verbs:        /api/{version}/watch/... and /api/{version}/proxy/... (verb from the path)
 *   non-resource paths:  /api, /api/{version}, /apis, /apis/{group}, /apis/{group}/{version}, /version, /healthz, ...
 *
 * Verb: POST create, GET and HEAD get, PUT update, PATCH patch, DELETE delete; without a name,
 * get becomes list (watch with the watch parameter) and delete becomes deletecollection.
 * "namespaces/{ns}/status" and "namespaces/{ns}/finalize" are subresources of the namespace,
 * anything else after "namespaces/{ns}/" is a resource in that namespace. A namespace object's
 * own requests (/api/v1/namespaces/{ns}) carry namespace = name, as on a real server.
 */

export interface RequestInfo {
  /** False for discovery, /version, /healthz and other non-resource paths. */
  isResourceRequest: boolean;
  /** The URL path, trailing slashes removed. */
  path: string;
  /** The Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection), or the lowercased method for non-resource requests. */
  verb: string;
  apiPrefix: 'api' | 'apis' | '';
  apiGroup: string;
  apiVersion: string;
  namespace?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** The path segments from the resource on ({resource}, {name}, {subresource}, ...). */
  parts: string[];
  /** Set for the legacy /watch/ and /proxy/ path prefixes. */
  legacyVerbPrefix?: 'watch' | 'proxy';
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * The watch parameter as runtime.Convert_Slice_string_To_bool decodes it (k8s.io/apimachinery/pkg/runtime/conversion.go):
 * absent, "0" or "false" (any case) is false; anything else, including "True" (the Python client) and "", starts a watch.
 */
export const isWatchParam = (value: string | null): boolean => value !== null && value !== '0' && value.toLowerCase() !== 'false';

function verbOf(method: string): string {
  switch (method) {
    case 'POST': return 'create';
    case 'GET': case 'HEAD': return 'get';
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return 'delete';
    default: return '';
  }
}

export interface RequestInfoOptions {
  /** A WebSocket upgrade (pods/exec, attach, portforward): authorized as create, as since Kubernetes 1.31 (AuthorizePodWebsocketUpgradeCreatePermission). */
  upgrade?: boolean;
}

export function newRequestInfo(method: string, url: URL, opts: RequestInfoOptions = {}): RequestInfo {
  const path = url.pathname.replace(/\/+$/, '');
  const nonResource: RequestInfo = { isResourceRequest: false, path, verb: method.toLowerCase(), apiPrefix: '', apiGroup: '', apiVersion: '', parts: [] };
  let parts = path.split('/').slice(1);
  const prefix = parts[0];
  if (prefix !== 'api' && prefix !== 'apis') return nonResource;
  parts = parts.slice(1);
  let apiGroup = '';
  if (prefix === 'apis') {
    if (parts.length < 2) return { ...nonResource, apiPrefix: prefix, apiGroup: parts[0] ?? '' };
    apiGroup = parts.shift()!;
  }
  if (parts.length < 1) return { ...nonResource, apiPrefix: prefix, apiGroup };
  const apiVersion = parts.shift()!;
  if (parts.length < 1) return { ...nonResource, apiPrefix: prefix, apiGroup, apiVersion };

  const info: RequestInfo = { isResourceRequest: true, path, verb: opts.upgrade ? 'create' : verbOf(method), apiPrefix: prefix, apiGroup, apiVersion, parts: [] };
  if (parts[0] === 'watch' || parts[0] === 'proxy') {
    info.legacyVerbPrefix = parts[0];
    info.verb = parts[0];
    parts = parts.slice(1);
  }
  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1];
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
  }
  info.parts = parts;
  info.resource = parts[0];
  info.name = parts[1];
  if (parts.length >= 3 && info.legacyVerbPrefix !== 'proxy') info.subresource = parts[2];

  if (!info.name && info.verb === 'get') info.verb = isWatchParam(url.searchParams.get('watch')) ? 'watch' : 'list';
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}
