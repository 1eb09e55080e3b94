/** The HTTP side of kube-sim: REST, watch, discovery, auth, fault injection, WebSocket upgrades. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import yaml from 'js-yaml';
import { managerOf } from './managedFields';
import { applyPatch, patchTypeOf } from './patch';
import { apiGroupList, apiResourceList, findResource, groupVersion, RESOURCES, type ResourceDef } from './resources';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { ApiError, badRequest, forbidden, notFound, unauthorized, validateObjectName } from './status';
import type { Store, WatchEvent } from './store';

export interface Fault { remaining: number; code: number; method?: string; pathIncludes?: string }
export interface Rule { verb: string; resource: string; group?: string }

export interface ApiHooks {
  /** Called before a create/update is stored: controllers fill defaults and validate. */
  beforeWrite?(r: ResourceDef, obj: any, old: any | undefined): void;
  /** Deletes go through here so pods can terminate gracefully and owners cascade. */
  onDelete?(r: ResourceDef, ns: string | undefined, name: string, opts: any): any;
  scale?(ns: string, name: string, replicas?: number): any;
  podLog?(ns: string, name: string): string;
  upgrade?(kind: 'exec' | 'attach' | 'portforward', req: IncomingMessage, socket: Duplex, head: Buffer, ns: string, name: string, query: URLSearchParams): void;
}

export class ApiServer {
  token?: string;
  user = 'terrarium-test';
  readonly forbidden: Rule[] = [];
  readonly faults: Fault[] = [];
  /** API groups that are not installed (e.g. an operator's CRDs removed): 404 everywhere and absent from discovery. */
  readonly disabledGroups = new Set<string>();
  watchTimeoutSeconds = 30;
  private watches = new Set<() => void>();

  constructor(private readonly store: Store, private readonly hooks: ApiHooks = {}) {}

  /** Ends every open watch (clients reconnect from their last resourceVersion). */
  endWatches(): void { for (const end of [...this.watches]) end(); }

  private checkAuth(req: IncomingMessage): void {
    if (!this.token) return;
    if (req.headers.authorization !== `Bearer ${this.token}`) throw unauthorized();
  }

  private checkRbac(verb: string, r: ResourceDef, sub: string | undefined, ns?: string): void {
    const resource = sub ? `${r.plural}/${sub}` : r.plural;
    if (this.forbidden.some((f) => f.verb === verb && f.resource === resource && (f.group ?? '') === r.group)) {
      throw forbidden(this.user, verb, resource, r.group, ns);
    }
  }

  private injectFault(req: IncomingMessage, res: ServerResponse): boolean {
    const f = this.faults.find((x) => x.remaining > 0 && (!x.method || x.method === req.method) && (!x.pathIncludes || (req.url ?? '').includes(x.pathIncludes)));
    if (!f) return false;
    f.remaining--;
    const reason = f.code === 429 ? 'TooManyRequests' : f.code === 503 ? 'ServiceUnavailable' : 'InternalError';
    const message = f.code === 429 ? 'Too many requests, please try again later.' : 'Internal error occurred: injected fault';
    res.writeHead(f.code, { 'content-type': 'application/json', ...(f.code === 429 ? { 'retry-after': '1' } : {}) });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: f.code }));
    return true;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.injectFault(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://sim');
      if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/livez') return text(res, 200, 'ok');
      this.checkAuth(req);
      const body = ['POST', 'PUT', 'PATCH'].includes(req.method ?? '') ? await readBody(req) : '';
      await this.route(req, res, url, body);
    } catch (e) {
      sendError(res, e);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const p = url.pathname.replace(/\/+$/, '');
    const apiGroup = p.match(/^\/apis\/([^/]+)/)?.[1];
    if (apiGroup && this.disabledGroups.has(apiGroup)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (p === '/version') return json(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-kube-sim', platform: 'linux/amd64', goVersion: 'go1.22' });
    if (p === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (p === '/apis') return json(res, 200, apiGroupList(this.disabledGroups));
    if (p === '/api/v1') return json(res, 200, apiResourceList('', 'v1'));
    const gv = p.match(/^\/apis\/([^/]+)\/([^/]+)$/);
    if (gv) {
      if (!RESOURCES.some((r) => r.group === gv[1] && r.version === gv[2])) throw notFound('', '', p);
      return json(res, 200, apiResourceList(gv[1]!, gv[2]!));
    }
    if (p.startsWith('/openapi') || p === '/swagger.json') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');

    const m = p.match(/^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/);
    if (!m) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const [, coreV, group = '', groupV, nsPart, plural, name, sub] = m;
    const version = coreV ?? groupV!;
    // "/api/v1/namespaces/NAME" is the namespace itself, not a collection inside it.
    let r = findResource(group, version, plural!);
    let ns = nsPart;
    let objName = name;
    let subres = sub;
    if (!r && nsPart && group === '' && !name) {
      r = findResource('', 'v1', 'namespaces');
      ns = undefined; objName = nsPart; subres = plural;
      if (plural !== 'status' && plural !== 'finalize') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    } else if (!r && nsPart === undefined && group === '' && plural === 'namespaces') {
      r = findResource('', 'v1', 'namespaces');
    }
    if (!r && group === '' && p.startsWith('/api/v1/namespaces/') && !plural) r = findResource('', 'v1', 'namespaces');
    if (!r) throw new ApiError(404, 'NotFound', `the server could not find the requested resource`);
    if (p.match(/^\/api\/v1\/namespaces\/[^/]+$/)) { r = findResource('', 'v1', 'namespaces')!; ns = undefined; objName = p.split('/')[4]; subres = undefined; }
    const q = url.searchParams;
    const method = req.method ?? 'GET';

    if (subres === 'exec' || subres === 'attach' || subres === 'portforward') {
      throw badRequest(`Upgrade request required`);
    }
    if (subres === 'log') {
      this.checkRbac('get', r, 'log', ns);
      this.store.mustGet(r, ns, objName!);
      return text(res, 200, this.hooks.podLog?.(ns!, objName!) ?? '');
    }
    if (subres === 'scale') return this.handleScale(req, res, r, ns!, objName!, body, method);

    if (!objName) {
      if (method === 'GET') {
        const watch = q.get('watch');
        if (watch === '1' || watch === 'true') return this.watch(req, res, r, ns, q);
        this.checkRbac('list', r, undefined, ns);
        const labelOk = parseLabelSelector(q.get('labelSelector'));
        const fieldOk = parseFieldSelector(q.get('fieldSelector'));
        const items = this.store.list(r, ns).filter((o) => labelOk(o.metadata.labels ?? {}) && fieldOk(o));
        return json(res, 200, { kind: `${r.kind}List`, apiVersion: groupVersion(r), metadata: { resourceVersion: String(this.store.rv) }, items });
      }
      if (method === 'POST') {
        this.checkRbac('create', r, undefined, ns);
        const obj = parseBody(body, req);
        obj.metadata ??= {};
        if (r.namespaced) obj.metadata.namespace = ns ?? obj.metadata.namespace ?? 'default';
        if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + Math.random().toString(36).slice(2, 7);
        validateObjectName(r.kind, r.group, obj.metadata.name, ['Namespace', 'Service', 'Pod', 'StatefulSet'].includes(r.kind));
        if (r.namespaced && ns && !this.store.get(findResource('', 'v1', 'namespaces')!, undefined, ns) && r.kind !== 'Event') {
          throw new ApiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
        }
        obj.apiVersion = groupVersion(r); obj.kind = r.kind;
        this.hooks.beforeWrite?.(r, obj, undefined);
        if (q.get('dryRun') === 'All') return json(res, 201, obj);
        return json(res, 201, this.store.create(r, obj, managerOf(q, req.headers['user-agent'])));
      }
      if (method === 'DELETE') {
        this.checkRbac('deletecollection', r, undefined, ns);
        const labelOk = parseLabelSelector(q.get('labelSelector'));
        const items = this.store.list(r, ns).filter((o) => labelOk(o.metadata.labels ?? {}));
        for (const o of items) this.deleteOne(r, ns, o.metadata.name, {});
        return json(res, 200, { kind: `${r.kind}List`, apiVersion: groupVersion(r), metadata: {}, items });
      }
      throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }

    const statusOnly = subres === 'status';
    if (subres && !statusOnly) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    switch (method) {
      case 'GET': {
        this.checkRbac('get', r, subres, ns);
        const obj = this.store.mustGet(r, ns, objName);
        const accept = String(req.headers.accept ?? '');
        if (accept.includes('as=PartialObjectMetadata')) {
          return json(res, 200, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata });
        }
        return json(res, 200, obj);
      }
      case 'PUT': {
        this.checkRbac('update', r, subres, ns);
        const obj = parseBody(body, req);
        obj.metadata ??= {};
        if (r.namespaced) obj.metadata.namespace = ns;
        if (obj.metadata.name !== objName) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${objName})`);
        const old = this.store.mustGet(r, ns, objName);
        obj.apiVersion = groupVersion(r); obj.kind = r.kind;
        if (!statusOnly) this.hooks.beforeWrite?.(r, obj, old);
        return json(res, 200, this.store.update(r, obj, { statusOnly, who: managerOf(q, req.headers['user-agent']) }));
      }
      case 'PATCH': {
        this.checkRbac('patch', r, subres, ns);
        const type = patchTypeOf(req.headers['content-type']);
        const patch = type === 'apply' ? yaml.load(body) : JSON.parse(body || 'null');
        const old = this.store.get(r, ns, objName);
        if (!old) {
          if (type !== 'apply') throw notFound(r.plural, r.group, objName);
          this.checkRbac('create', r, undefined, ns);
          const obj = patch as any;
          obj.metadata = { ...(obj.metadata ?? {}), name: objName, ...(r.namespaced ? { namespace: ns } : {}) };
          validateObjectName(r.kind, r.group, objName, ['Namespace', 'Service', 'Pod', 'StatefulSet'].includes(r.kind));
          obj.apiVersion = groupVersion(r); obj.kind = r.kind;
          this.hooks.beforeWrite?.(r, obj, undefined);
          return json(res, 201, this.store.create(r, obj, managerOf(q, req.headers['user-agent'], 'Apply')));
        }
        let next = applyPatch(type, old, patch);
        next.metadata = { ...next.metadata, name: objName, ...(r.namespaced ? { namespace: ns } : {}) };
        // A patch carries a resourceVersion only when the client asks for optimistic concurrency.
        const carried = (patch as any)?.metadata?.resourceVersion;
        if (!carried) next.metadata.resourceVersion = old.metadata.resourceVersion;
        if (statusOnly) next = { ...old, status: next.status, metadata: { ...old.metadata, resourceVersion: next.metadata.resourceVersion } };
        else this.hooks.beforeWrite?.(r, next, old);
        return json(res, 200, this.store.update(r, next, { statusOnly, who: managerOf(q, req.headers['user-agent'], type === 'apply' ? 'Apply' : 'Update') }));
      }
      case 'DELETE': {
        this.checkRbac('delete', r, undefined, ns);
        const opts = body ? JSON.parse(body) : {};
        return json(res, 200, this.deleteOne(r, ns, objName, { ...opts, propagationPolicy: opts.propagationPolicy ?? q.get('propagationPolicy') ?? undefined }));
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
  }

  private deleteOne(r: ResourceDef, ns: string | undefined, name: string, opts: any): any {
    if (this.hooks.onDelete) return this.hooks.onDelete(r, ns, name, opts);
    return this.store.delete(r, ns, name);
  }

  private handleScale(req: IncomingMessage, res: ServerResponse, r: ResourceDef, ns: string, name: string, body: string, method: string): void {
    if (r.kind !== 'StatefulSet' || !this.hooks.scale) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (method === 'GET') {
      this.checkRbac('get', r, 'scale', ns);
      return json(res, 200, this.hooks.scale(ns, name));
    }
    this.checkRbac(method === 'PUT' ? 'update' : 'patch', r, 'scale', ns);
    const current = this.hooks.scale(ns, name);
    let next: any;
    if (method === 'PUT') next = parseBody(body, req);
    else if (method === 'PATCH') next = applyPatch(patchTypeOf(req.headers['content-type']), current, JSON.parse(body || 'null'));
    else throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const replicas = next?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`,
        { name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0`, field: 'spec.replicas' }] });
    }
    return json(res, 200, this.hooks.scale(ns, name, replicas));
  }

  private watch(req: IncomingMessage, res: ServerResponse, r: ResourceDef, ns: string | undefined, q: URLSearchParams): void {
    this.checkRbac('watch', r, undefined, ns);
    const labelOk = parseLabelSelector(q.get('labelSelector'));
    const fieldOk = parseFieldSelector(q.get('fieldSelector'));
    const matches = (e: { res: ResourceDef; object: any }) => e.res === r && (!r.namespaced || ns === undefined || e.object.metadata.namespace === ns)
      && labelOk(e.object.metadata.labels ?? {}) && fieldOk(e.object);
    const rvText = q.get('resourceVersion');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const send = (type: string, object: any) => res.write(JSON.stringify({ type, object }) + '\n');
    let replay: WatchEvent[] = [];
    if (rvText && rvText !== '0') {
      try {
        replay = this.store.since(Number(rvText));
      } catch (e) {
        send('ERROR', (e as ApiError).toStatus());
        res.end();
        return;
      }
    } else {
      for (const o of this.store.list(r, ns)) if (matches({ res: r, object: o })) send('ADDED', o);
    }
    for (const e of replay) if (matches(e)) send(e.type, e.object);
    const unsub = this.store.subscribe((e) => { if (matches(e)) send(e.type, e.object); });
    const bookmarkTimer = q.get('allowWatchBookmarks') === 'true'
      ? setInterval(() => send('BOOKMARK', { kind: r.kind, apiVersion: groupVersion(r), metadata: { resourceVersion: String(this.store.rv) } }), 10_000)
      : undefined;
    const timeout = Math.min(Number(q.get('timeoutSeconds') ?? this.watchTimeoutSeconds) || this.watchTimeoutSeconds, this.watchTimeoutSeconds);
    const end = () => {
      clearTimeout(timer);
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      unsub();
      this.watches.delete(end);
      if (!res.writableEnded) res.end();
    };
    const timer = setTimeout(end, timeout * 1000);
    this.watches.add(end);
    req.on('close', end);
  }

  /** WebSocket upgrades for pods/exec, attach and portforward. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const reject = (e: unknown) => {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', String(e));
      const bodyText = JSON.stringify(err.toStatus());
      socket.end(`HTTP/1.1 ${err.code} ${err.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(bodyText)}\r\n\r\n${bodyText}`);
    };
    try {
      this.checkAuth(req);
      const url = new URL(req.url ?? '/', 'http://sim');
      const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/);
      if (!m) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      const [, ns, name, kind] = m as unknown as [string, string, string, 'exec' | 'attach' | 'portforward'];
      const pods = findResource('', 'v1', 'pods')!;
      this.checkRbac('create', pods, kind, ns);
      const pod = this.store.mustGet(pods, ns, name);
      if (pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp) {
        throw badRequest(`pod ${name} is not running (phase: ${pod.status?.phase ?? 'Unknown'})`);
      }
      if (!this.hooks.upgrade) throw badRequest(`${kind} is not supported by this cluster`);
      this.hooks.upgrade(kind, req, socket, head, ns, name, url.searchParams);
    } catch (e) {
      reject(e);
    }
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(body: string, req: IncomingMessage): any {
  try {
    const ct = String(req.headers['content-type'] ?? '');
    return ct.includes('yaml') ? yaml.load(body) : JSON.parse(body);
  } catch (e) {
    throw badRequest(`the request body could not be decoded: ${e instanceof Error ? e.message : e}`);
  }
}

function json(res: ServerResponse, code: number, obj: unknown): void {
  const b = JSON.stringify(obj);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
  res.end(b);
}

function text(res: ServerResponse, code: number, t: string): void {
  res.writeHead(code, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(t) });
  res.end(t);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`);
  if (res.headersSent) { res.end(); return; }
  json(res, err.code, err.toStatus());
}
