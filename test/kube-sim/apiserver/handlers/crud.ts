/**
 * The REST verbs on a resource (k8s.io/apiserver/pkg/endpoints/handlers: get, list, create,
 * update, patch, delete, deletecollection). Writes go through admission (mutating plugins, the
 * kind's strategy, validating plugins) and then storage.
 */
import yaml from 'js-yaml';
import { badRequest, methodNotAllowed, noSuchResource, notFound } from '../../machinery/errors';
import { managerOf } from '../../machinery/managedFields';
import { parseFieldSelector, parseLabelSelector } from '../../machinery/selectors';
import type { DeleteOptions, KubeObject, ObjectInput } from '../../machinery/types';
import { groupVersion } from '../../registry/types';
import { validateObjectName } from '../../registry/validation';
import { warningHeader, type AdmissionAttributes } from '../admission/chain';
import { decodeBody, writeJson } from '../http';
import type { ApiScope, RequestContext } from '../scope';
import { applyPatch, patchTypeOf } from './patch';

const userAgent = (ctx: RequestContext) => ctx.req.headers['user-agent'];

/** Collection requests: list, create, deletecollection. */
export function serveCollection(scope: ApiScope, ctx: RequestContext): void {
  switch (ctx.req.method) {
    case 'GET': return list(scope, ctx);
    case 'POST': return create(scope, ctx);
    case 'DELETE': return deleteCollection(scope, ctx);
    default: throw methodNotAllowed();
  }
}

/** Requests on one object or its status: get, update, patch, delete. */
export function serveObject(scope: ApiScope, ctx: RequestContext): void {
  if (ctx.subresource && ctx.subresource !== 'status') throw noSuchResource();
  switch (ctx.req.method) {
    case 'GET': return get(scope, ctx);
    case 'PUT': return update(scope, ctx);
    case 'PATCH': return patch(scope, ctx);
    case 'DELETE': return deleteOne(scope, ctx);
    default: throw methodNotAllowed();
  }
}

function list(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource;
  const labelOk = parseLabelSelector(ctx.query.get('labelSelector'));
  const fieldOk = parseFieldSelector(ctx.query.get('fieldSelector'));
  const items = scope.store.list(r, ctx.namespace).filter((o) => labelOk(o.metadata.labels ?? {}) && fieldOk(o));
  writeJson(ctx.res, 200, { kind: `${r.kind}List`, apiVersion: groupVersion(r), metadata: { resourceVersion: String(scope.store.rv) }, items });
}

function admit(scope: ApiScope, ctx: RequestContext, a: Omit<AdmissionAttributes, 'resource' | 'namespace' | 'user' | 'dryRun'>): void {
  const warnings: string[] = [];
  scope.admission.run({ ...a, resource: ctx.resource, namespace: ctx.namespace, user: ctx.user, dryRun: ctx.query.get('dryRun') === 'All',
    warnings, fieldValidation: ctx.query.get('fieldValidation') ?? undefined });
  for (const w of warnings) ctx.res.appendHeader('Warning', warningHeader(w));
}

function create(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource;
  const obj = decodeBody(ctx.body, ctx.req) as ObjectInput;
  obj.metadata ??= {};
  if (r.namespaced) obj.metadata.namespace = ctx.namespace ?? obj.metadata.namespace ?? 'default';
  if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + Math.random().toString(36).slice(2, 7);
  validateObjectName(r.kind, r.group, obj.metadata.name, !!r.nameIsLabel);
  obj.apiVersion = groupVersion(r); obj.kind = r.kind;
  admit(scope, ctx, { operation: 'CREATE', name: obj.metadata.name!, object: obj });
  // dryRun=All: admitted and validated, never stored (the answer lacks what storage stamps).
  if (ctx.query.get('dryRun') === 'All') return writeJson(ctx.res, 201, obj);
  writeJson(ctx.res, 201, scope.store.create(r, obj, managerOf(ctx.query, userAgent(ctx))));
}

function get(scope: ApiScope, ctx: RequestContext): void {
  const obj = scope.store.mustGet(ctx.resource, ctx.namespace, ctx.name!);
  const accept = String(ctx.req.headers.accept ?? '');
  if (accept.includes('as=PartialObjectMetadata')) {
    return writeJson(ctx.res, 200, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata });
  }
  writeJson(ctx.res, 200, obj);
}

function update(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource, name = ctx.name!;
  const statusOnly = ctx.subresource === 'status';
  const obj = decodeBody(ctx.body, ctx.req) as KubeObject;
  obj.metadata ??= {} as KubeObject['metadata'];
  if (r.namespaced) obj.metadata.namespace = ctx.namespace;
  if (obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
  const old = scope.store.mustGet(r, ctx.namespace, name);
  obj.apiVersion = groupVersion(r); obj.kind = r.kind;
  if (!statusOnly) admit(scope, ctx, { operation: 'UPDATE', name, object: obj, oldObject: old });
  writeJson(ctx.res, 200, scope.store.update(r, obj, { statusOnly, who: managerOf(ctx.query, userAgent(ctx)) }));
}

function patch(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource, ns = ctx.namespace, name = ctx.name!;
  const statusOnly = ctx.subresource === 'status';
  const type = patchTypeOf(ctx.req.headers['content-type']);
  const body = type === 'apply' ? yaml.load(ctx.body) : JSON.parse(ctx.body || 'null');
  const old = scope.store.get(r, ns, name);
  if (!old) {
    if (type !== 'apply') throw notFound(r.plural, r.group, name);
    // Server-side apply creates a missing object: the user must also be allowed to create.
    scope.authorizer.authorize({ user: ctx.user, verb: 'create', apiGroup: r.group, resource: r.plural, namespace: ns, name });
    const obj = body as ObjectInput;
    obj.metadata = { ...(obj.metadata ?? {}), name, ...(r.namespaced ? { namespace: ns } : {}) };
    validateObjectName(r.kind, r.group, name, !!r.nameIsLabel);
    obj.apiVersion = groupVersion(r); obj.kind = r.kind;
    admit(scope, ctx, { operation: 'CREATE', name, object: obj, applyCreate: true });
    return writeJson(ctx.res, 201, scope.store.create(r, obj, managerOf(ctx.query, userAgent(ctx), 'Apply')));
  }
  let next = applyPatch(type, old, body) as KubeObject;
  next.metadata = { ...next.metadata, name, ...(r.namespaced ? { namespace: ns } : {}) };
  // A patch carries a resourceVersion only when the client asks for optimistic concurrency.
  const carried = (body as any)?.metadata?.resourceVersion;
  if (!carried) next.metadata.resourceVersion = old.metadata.resourceVersion;
  if (statusOnly) next = { ...old, status: next.status, metadata: { ...old.metadata, resourceVersion: next.metadata.resourceVersion } };
  else admit(scope, ctx, { operation: 'UPDATE', name, object: next, oldObject: old });
  writeJson(ctx.res, 200, scope.store.update(r, next, { statusOnly, who: managerOf(ctx.query, userAgent(ctx), type === 'apply' ? 'Apply' : 'Update') }));
}

function remove(scope: ApiScope, ctx: RequestContext, name: string, opts: DeleteOptions): KubeObject | undefined {
  if (scope.hooks.onDelete) return scope.hooks.onDelete(ctx.resource, ctx.namespace, name, opts);
  return scope.store.delete(ctx.resource, ctx.namespace, name);
}

function deleteOne(scope: ApiScope, ctx: RequestContext): void {
  // The body of a DELETE is not read (see server.ts): DeleteOptions come from the query only.
  const opts = ctx.body ? JSON.parse(ctx.body) : {};
  writeJson(ctx.res, 200, remove(scope, ctx, ctx.name!, { ...opts, propagationPolicy: opts.propagationPolicy ?? ctx.query.get('propagationPolicy') ?? undefined }));
}

function deleteCollection(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource;
  const labelOk = parseLabelSelector(ctx.query.get('labelSelector'));
  const items = scope.store.list(r, ctx.namespace).filter((o) => labelOk(o.metadata.labels ?? {}));
  for (const o of items) remove(scope, ctx, o.metadata.name, {});
  writeJson(ctx.res, 200, { kind: `${r.kind}List`, apiVersion: groupVersion(r), metadata: {}, items });
}

