/**
 * kube-sim's API server: the request pipeline, wired as kube-apiserver's handler chain is.
 *
 *   HTTP request
 *     -> filters/faults          injected 429/500/503 (before anything else, health checks included)
 *     -> /healthz /readyz /livez (unauthenticated)
 *     -> filters/authentication  who (401)
 *     -> requestInfo             verb, group, version, resource, subresource, namespace, name
 *     -> non-resource?           handlers/discovery (/version, /api, /apis, ...)
 *     -> resolve                 the registry's kind for group/version/resource (404), disabled groups (404)
 *     -> filters/authorization   may the user do it (403)
 *     -> handlers/*              crud, watch, scale, log, exec/attach/portforward
 *     -> admission               mutating plugins, the kind's strategy, validating plugins (in crud)
 *     -> storage                 storage/store
 *
 * WebSocket upgrades (pods/exec, attach, portforward) take the same path minus faults.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, noSuchResource } from '../machinery/errors';
import { registry } from '../registry';
import { isSelfReview } from '../registry/rbac';
import type { Store } from '../storage/store';
import { AdmissionChain } from './admission/chain';
import { NamespaceLifecycle } from './admission/plugins/namespaceLifecycle';
import { PodSecurity } from './admission/plugins/podSecurity';
import { ValidatingAdmissionPolicyPlugin } from './admission/plugins/validatingAdmissionPolicy';
import { RbacEscalation } from './admission/plugins/rbacEscalation';
import { StorageObjectInUseProtection } from './admission/plugins/storageObjectInUseProtection';
import { Authenticator, type UserInfo } from './filters/authentication';
import { DenyListAuthorizer } from './filters/authorization';
import { FaultInjector } from './filters/faults';
import { impersonate } from './filters/impersonation';
import { RbacAuthorizer } from './filters/rbac';
import { serveCollection, serveObject } from './handlers/crud';
import { serveNonResource } from './handlers/discovery';
import { serveLog } from './handlers/log';
import { serveScale } from './handlers/scale';
import { serveSelfReview } from './handlers/selfSubjectReviews';
import { admitConnect, serveStreamWithoutUpgrade, serveUpgrade, STREAM_SUBRESOURCES } from './handlers/upgrade';
import { serveWatch } from './handlers/watch';
import { readBody, writeError, writeText } from './http';
import { newRequestInfo, type RequestInfo } from './requestInfo';
import type { ApiHooks, ApiScope, RequestContext } from './scope';

export type { Fault } from './filters/faults';
export type { Rule } from './filters/authorization';
export type { ApiHooks, StreamKind } from './scope';

const HEALTH = new Set(['/healthz', '/readyz', '/livez']);

export class ApiServer implements ApiScope {
  readonly faultInjector = new FaultInjector();
  readonly authenticator = new Authenticator();
  readonly authorizer = new DenyListAuthorizer();
  readonly admission: AdmissionChain;
  /** API groups that are not installed (e.g. an operator's CRDs removed): 404 everywhere and absent from discovery. */
  readonly disabledGroups = new Set<string>();
  /** The longest a watch runs (seconds). */
  watchTimeoutSeconds = 30;
  /** kube-apiserver feature gates kube-sim follows; defaults as in 1.32. */
  readonly featureGates = { AuthorizePodWebsocketUpgradeCreatePermission: false };
  readonly watches = new Set<() => void>();

  constructor(readonly store: Store, readonly hooks: ApiHooks = {}) {
    this.authorizer.rbac = new RbacAuthorizer(store);
    this.admission = new AdmissionChain([new NamespaceLifecycle(store), new StorageObjectInUseProtection()], [new RbacEscalation(this.authorizer, this.authorizer.rbac), new PodSecurity(store), new ValidatingAdmissionPolicyPlugin(store)]);
  }

  /** A bearer token every request must carry (401 otherwise); undefined: any request is the default user. */
  get token(): string | undefined { return this.authenticator.token; }
  set token(t: string | undefined) { this.authenticator.token = t; }
  /** The default user's name (what 403 messages name). */
  get user(): string { return this.authenticator.defaultUser.name; }
  set user(name: string) { this.authenticator.defaultUser.name = name; }

  /** Ends every open watch (clients reconnect from their last resourceVersion). */
  endWatches(): void { for (const end of [...this.watches]) end(); }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (this.faultInjector.intercept(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://sim');
      if (HEALTH.has(url.pathname)) return writeText(res, 200, 'ok');
      const user = impersonate(req, this.authenticator.authenticate(req), this.authorizer);
      // DELETE may carry DeleteOptions (kubectl and client libraries send them in the body).
      const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? '') ? await readBody(req) : '';
      const info = newRequestInfo(req.method ?? 'GET', url);
      this.checkGroupInstalled(info);
      if (!info.isResourceRequest) {
        this.authorizer.authorize({ user, verb: info.verb, apiGroup: '', resource: '', path: info.path || '/' });
        return serveNonResource(res, info, this.disabledGroups);
      }
      const ctx = this.resolve(info, { req, res, query: url.searchParams, user, body });
      this.authorize(ctx);
      this.serve(ctx);
    } catch (e) {
      writeError(res, e);
    }
  }

  /** WebSocket upgrades for pods/exec, attach and portforward. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      const user = impersonate(req, this.authenticator.authenticate(req), this.authorizer);
      const url = new URL(req.url ?? '/', 'http://sim');
      const info = newRequestInfo(req.method ?? 'GET', url, { upgrade: true });
      const upgradable = info.isResourceRequest && info.apiPrefix === 'api' && info.apiVersion === 'v1' && info.resource === 'pods'
        && !!info.namespace && !!info.name && STREAM_SUBRESOURCES.has(info.subresource ?? '') && info.parts.length === 3 && !info.legacyVerbPrefix;
      if (!upgradable) throw noSuchResource();
      // No HTTP response here: errors are written to the socket, success hands it to the runtime.
      const ctx = this.resolve(info, { req, res: undefined as unknown as ServerResponse, query: url.searchParams, user, body: '' });
      // The upgrade is a GET, authorized as get (kube-apiserver 1.32). With the 1.35 feature gate
      // AuthorizePodWebsocketUpgradeCreatePermission (KEP-4006, kubernetes PR 134577) a second check
      // asks for create on the subresource too.
      // A SPDY upgrade (kubectl's fallback after a refused WebSocket) is a POST: create.
      const verb = req.method === 'GET' ? 'get' : 'create';
      this.authorize(ctx, verb);
      if (verb === 'get' && this.featureGates.AuthorizePodWebsocketUpgradeCreatePermission) this.authorize(ctx, 'create');
      admitConnect(this, ctx);
      serveUpgrade(this, ctx, req, socket, head);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', String(e));
      const bodyText = JSON.stringify(err.toStatus());
      socket.end(`HTTP/1.1 ${err.code} ${err.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(bodyText)}\r\n\r\n${bodyText}`);
    }
  }

  /** An uninstalled API group answers 404 on every path under /apis/{group}. */
  private checkGroupInstalled(info: RequestInfo): void {
    if (info.apiPrefix === 'apis' && info.apiGroup && this.disabledGroups.has(info.apiGroup)) throw noSuchResource();
  }

  /** The registry's kind for the request, and where its objects are stored; 404 for what kube-sim does not serve. */
  private resolve(info: RequestInfo, request: Pick<RequestContext, 'req' | 'res' | 'query' | 'user' | 'body'>): RequestContext {
    // Not served: the deprecated /watch/ and /proxy/ prefixes, empty segments, anything below a subresource.
    if (info.legacyVerbPrefix || info.parts.length > 3 || info.parts.some((p) => !p) || info.namespace === '') throw noSuchResource();
    const resource = registry.find(info.apiGroup, info.apiVersion, info.resource!);
    if (!resource) throw noSuchResource();
    return {
      ...request, info, resource,
      namespace: resource.namespaced ? info.namespace : undefined,
      name: info.name, subresource: info.subresource,
    };
  }

  private authorize(ctx: RequestContext, verb = ctx.info.verb): void {
    // The request's namespace: a Namespace's own requests are "in the namespace" it names, as on a real server.
    this.authorizer.authorize({
      user: ctx.user, verb, apiGroup: ctx.resource.group, resource: ctx.resource.plural,
      subresource: ctx.subresource, namespace: ctx.info.namespace, name: ctx.name,
    });
  }

  private serve(ctx: RequestContext): void {
    const sub = ctx.subresource;
    if (isSelfReview(ctx.resource.plural, ctx.resource.group)) return serveSelfReview(this.authorizer, ctx);
    if (sub && STREAM_SUBRESOURCES.has(sub)) { admitConnect(this, ctx); return serveStreamWithoutUpgrade(); }
    if (sub === 'log') return serveLog(this, ctx);
    if (sub === 'scale') return serveScale(this, ctx);
    if (!ctx.name) return ctx.info.verb === 'watch' && ctx.req.method === 'GET' ? serveWatch(this, ctx) : serveCollection(this, ctx);
    return serveObject(this, ctx);
  }

  /** Adds a user recognised by a bearer token; RBAC decides what they may do (nothing, until bound). */
  addUser(name: string, opts?: { token?: string; groups?: string[] }): string {
    return this.authenticator.addUser(name, opts);
  }

  watchTimeout(): number { return this.watchTimeoutSeconds; }
}

export type { UserInfo };
