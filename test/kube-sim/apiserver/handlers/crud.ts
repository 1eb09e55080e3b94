/**
 * The REST verbs on a resource (k8s.io/apiserver/pkg/endpoints/handlers: get, list, create,
 * update, patch, delete, deletecollection). Writes go through admission (mutating plugins, the
 * kind's strategy, validating plugins) and then storage.
 */
import yaml from 'js-yaml';
import { ApiError, badRequest, conflict, methodNotAllowed, noSuchResource, notFound } from '../../machinery/errors';
import { managerOf, serverSideApply } from '../../machinery/managedFields';
import { parseFieldSelector, parseLabelSelector } from '../../machinery/selectors';
import { nowRfc3339, type DeleteOptions, type KubeObject, type ObjectInput } from '../../machinery/types';
import { groupVersion, hasStatusSubresource } from '../../registry/types';
import { validateObjectName } from '../../registry/validation';
import { warningHeader, type AdmissionAttributes } from '../admission/chain';
import { decodeBody, writeJson } from '../http';
import type { ApiScope, RequestContext } from '../scope';
import { decodeContinue, encodeContinue, ExpiredContinue, invalidListOptions, validateListOptions } from './listOptions';
import { applyPatch, isCustomGroup, patchTypeOf } from './patch';
import { toTable, wantsTable } from './table';

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

/**
 * List with the documented list options (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 * label/field selectors (400 when malformed or unsupported), resourceVersion + resourceVersionMatch
 * (ListOptions validation: 422 Invalid for forbidden combinations; an Exact or paged list at a
 * compacted resourceVersion is 410), limit + continue (an opaque token bound to the first page's
 * resourceVersion; 410 Expired with the inconsistent-continue token once compacted).
 */
function list(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource, q = ctx.query;
  const labelOk = parseLabelSelector(q.get('labelSelector'));
  const fieldOk = parseFieldSelector(q.get('fieldSelector'), r.kind);
  validateListOptions(q, false);
  const store = scope.store;
  const rvText = q.get('resourceVersion') ?? '';
  const match = q.get('resourceVersionMatch') ?? '';
  const limit = Number(q.get('limit') ?? 0);
  const cont = q.get('continue') ?? '';
  let snapshot = store.rv;
  let start = '';
  if (cont) {
    if (rvText && rvText !== '0') throw badRequest('specifying resource version is not allowed when using continue');
    const token = decodeContinue(cont);
    start = token.start;
    if (token.rv > 0) {
      if (token.rv < store.compactedBefore) {
        throw new ExpiredContinue(encodeContinue(-1, start));
      }
      snapshot = token.rv;
    }
  } else if (rvText) {
    const rv = Number(rvText);
    if (!/^\d+$/.test(rvText)) throw invalidListOptions([{ field: 'resourceVersion', message: `Invalid value: "${rvText}": must be a non-negative integer`, reason: 'FieldValueInvalid' }]);
    if (rv > store.rv) throw new ApiError(504, 'Timeout', `Too large resource version: ${rv}, current: ${store.rv}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    // Exact, or the legacy form (resourceVersion with limit and no match), lists at that version.
    if (rv !== 0 && (match === 'Exact' || (!match && limit > 0))) snapshot = rv;
  }
  // The current state is only serialized below: read it without copies (listView).
  const all = snapshot === store.rv ? store.listView(r, ctx.namespace) as KubeObject[] : store.listAt(r, ctx.namespace, snapshot);
  const sortKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  let items = all.filter((o) => (!start || sortKey(o) > start) && labelOk(o.metadata.labels ?? {}) && fieldOk(o));
  const meta: Record<string, unknown> = { resourceVersion: String(snapshot) };
  // resourceVersion=0 without a match is served from the watch cache, which ignores limit.
  if (limit > 0 && !(rvText === '0' && !cont) && items.length > limit) {
    const rest = items.length - limit;
    items = items.slice(0, limit);
    meta.continue = encodeContinue(snapshot, sortKey(items[items.length - 1]!));
    if (!q.get('labelSelector') && !q.get('fieldSelector')) meta.remainingItemCount = rest;
  }
  if (wantsTable(ctx)) return writeJson(ctx.res, 200, toTable(r, items, meta));
  // Metadata only, as client-go's metadata client asks (apiserver endpoints/handlers/response.go,
  // asPartialObjectMetadataList): each item is a PartialObjectMetadata of the object's metadata.
  if (wantsPartialList(ctx)) {
    return writeJson(ctx.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta,
      items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })) });
  }
  writeJson(ctx.res, 200, { kind: `${r.kind}List`, apiVersion: groupVersion(r), metadata: meta, items });
}

/** Accept names `as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` for JSON (the first such media range wins, as with Table). */
function wantsPartialList(ctx: RequestContext): boolean {
  return String(ctx.req.headers.accept ?? '').split(',').some((range) => {
    const p = range.split(';').map((x) => x.trim());
    return p[0] === 'application/json' && p.includes('as=PartialObjectMetadataList') && p.includes('g=meta.k8s.io') && p.includes('v=v1');
  });
}

/** dryRun=All (the only value the API accepts): admission and validation run, storage is never touched. */
const isDryRun = (ctx: RequestContext) => ctx.query.get('dryRun') === 'All';

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
  if (isDryRun(ctx)) return writeJson(ctx.res, 201, obj);
  writeJson(ctx.res, 201, scope.store.create(r, obj, managerOf(ctx.query, userAgent(ctx))));
}

function get(scope: ApiScope, ctx: RequestContext): void {
  const obj = scope.store.mustGet(ctx.resource, ctx.namespace, ctx.name!);
  const accept = String(ctx.req.headers.accept ?? '');
  if (wantsTable(ctx)) return writeJson(ctx.res, 200, toTable(ctx.resource, [obj], { resourceVersion: obj.metadata.resourceVersion }));
  if (accept.includes('as=PartialObjectMetadata')) {
    return writeJson(ctx.res, 200, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata });
  }
  writeJson(ctx.res, 200, obj);
}

/**
 * A stale resourceVersion is 409 Conflict before validating admission runs: genericregistry
 * Store.Update compares it with the stored one first and calls updateValidation (admission) after,
 * so a client that lost a race learns that, not a policy's verdict on an object it never saw.
 */
function staleIsConflict(r: RequestContext['resource'], obj: KubeObject, old: KubeObject): void {
  const wanted = obj.metadata?.resourceVersion;
  if (wanted && wanted !== old.metadata.resourceVersion) throw conflict(r.plural, r.group, old.metadata.name);
}

/** PUT: with metadata.resourceVersion it is conditional (409 Conflict when stale, storage's GuaranteedUpdate); without, unconditional. */
function update(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource, name = ctx.name!;
  const statusOnly = ctx.subresource === 'status';
  const obj = decodeBody(ctx.body, ctx.req) as KubeObject;
  obj.metadata ??= {} as KubeObject['metadata'];
  if (r.namespaced) obj.metadata.namespace = ctx.namespace;
  if (obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
  const old = scope.store.mustGet(r, ctx.namespace, name);
  obj.apiVersion = groupVersion(r); obj.kind = r.kind;
  staleIsConflict(r, obj, old);
  if (!statusOnly) admit(scope, ctx, { operation: 'UPDATE', name, object: obj, oldObject: old });
  if (isDryRun(ctx)) return writeJson(ctx.res, 200, statusOnly ? { ...old, status: obj.status } : obj);
  writeJson(ctx.res, 200, scope.store.update(r, obj, { statusOnly, who: managerOf(ctx.query, userAgent(ctx)) }));
}

const isTrue = (v: string | null) => v !== null && v !== '0' && v.toLowerCase() !== 'false';

/** handlers/patch.go's ValidatePatchOptions: 422 Invalid on PatchOptions.meta.k8s.io. */
function validatePatchOptions(ctx: RequestContext, apply: boolean): void {
  const field = apply ? (!ctx.query.get('fieldManager') ? { field: 'fieldManager', detail: 'Required value: is required for apply patch', reason: 'FieldValueRequired' } : undefined)
    : ctx.query.has('force') ? { field: 'force', detail: 'Forbidden: may not be specified for non-apply patch', reason: 'FieldValueForbidden' } : undefined;
  if (!field) return;
  throw new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${field.field}: ${field.detail}`,
    { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: field.reason, message: field.detail, field: field.field }] });
}

function patch(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource, ns = ctx.namespace, name = ctx.name!;
  const statusOnly = ctx.subresource === 'status';
  const type = patchTypeOf(ctx.req.headers['content-type'], { custom: isCustomGroup(r.group) });
  validatePatchOptions(ctx, type === 'apply');
  let body: any;
  try {
    body = type === 'apply' ? yaml.load(ctx.body) : JSON.parse(ctx.body || 'null');
  } catch (e) {
    throw badRequest(`error decoding patch: ${e instanceof Error ? e.message : e}`);
  }
  const old = scope.store.get(r, ns, name) as KubeObject | undefined;
  const gv = groupVersion(r);
  const force = isTrue(ctx.query.get('force'));
  const manager = ctx.query.get('fieldManager') ?? '';
  const ssaOpts = { skipStatus: hasStatusSubresource(r) && !statusOnly, ...(statusOnly ? { subresource: 'status' } : {}) };
  if (!old) {
    if (type !== 'apply') throw notFound(r.plural, r.group, name);
    // Server-side apply creates a missing object: the user must also be allowed to create.
    scope.authorizer.authorize({ user: ctx.user, verb: 'create', apiGroup: r.group, resource: r.plural, namespace: ns, name });
    const obj = serverSideApply(gv, undefined, body, manager, force, ssaOpts) as ObjectInput;
    obj.metadata = { ...(obj.metadata ?? {}), name, ...(r.namespaced ? { namespace: ns } : {}) };
    validateObjectName(r.kind, r.group, name, !!r.nameIsLabel);
    obj.apiVersion = gv; obj.kind = r.kind;
    const managedFields = obj.metadata.managedFields;
    admit(scope, ctx, { operation: 'CREATE', name, object: obj, applyCreate: true });
    if (isDryRun(ctx)) return writeJson(ctx.res, 201, obj);
    return writeJson(ctx.res, 201, scope.store.create(r, obj, undefined, { managedFields }));
  }
  let next = (type === 'apply' ? serverSideApply(gv, old, body, manager, force, ssaOpts) : applyPatch(type, old, body)) as KubeObject;
  next.metadata = { ...next.metadata, name, ...(r.namespaced ? { namespace: ns } : {}) };
  // A patch carries a resourceVersion only when the client asks for optimistic concurrency.
  const carried = (body as any)?.metadata?.resourceVersion;
  if (!carried) next.metadata.resourceVersion = old.metadata.resourceVersion;
  staleIsConflict(r, next, old);
  if (statusOnly) next = { ...old, status: next.status, metadata: { ...old.metadata, resourceVersion: next.metadata.resourceVersion, ...(type === 'apply' ? { managedFields: next.metadata.managedFields } : {}) } };
  else admit(scope, ctx, { operation: 'UPDATE', name, object: next, oldObject: old });
  if (isDryRun(ctx)) return writeJson(ctx.res, 200, next);
  if (type === 'apply') {
    return writeJson(ctx.res, 200, scope.store.update(r, next, { statusOnly, managed: { managedFields: next.metadata.managedFields } }));
  }
  writeJson(ctx.res, 200, scope.store.update(r, next, { statusOnly, who: managerOf(ctx.query, userAgent(ctx), 'Update') }));
}

/** DELETE through admission: object null, oldObject the stored object, options the DeleteOptions (VAP's request.options). */
function admitDelete(scope: ApiScope, ctx: RequestContext, cur: KubeObject, opts: DeleteOptions): void {
  const options = { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => v !== undefined && k !== 'kind' && k !== 'apiVersion')) };
  admit(scope, ctx, { operation: 'DELETE', name: cur.metadata.name, object: null as unknown as ObjectInput, oldObject: cur, options });
}

function remove(scope: ApiScope, ctx: RequestContext, name: string, opts: DeleteOptions): KubeObject | undefined {
  // Finalizers block deletion (genericregistry Store.Delete): the object gets a deletionTimestamp and
  // stays until an update removes the last finalizer (storage/store.ts then deletes it). Pods and
  // namespaces keep their own graceful paths (controllers).
  const cur = scope.store.find(ctx.resource, ctx.namespace, name);
  if (cur?.metadata.finalizers?.length && ctx.resource.kind !== 'Pod' && !(ctx.resource.kind === 'Namespace' && !ctx.resource.group)) {
    if (cur.metadata.deletionTimestamp) return cur;
    cur.metadata.deletionTimestamp = nowRfc3339();
    cur.metadata.deletionGracePeriodSeconds = 0;
    return scope.store.update(ctx.resource, cur, { checkVersion: false });
  }
  if (scope.hooks.onDelete) return scope.hooks.onDelete(ctx.resource, ctx.namespace, name, opts);
  return scope.store.delete(ctx.resource, ctx.namespace, name);
}

/** Kinds whose REST storage sets ReturnDeletedObject (pkg/registry/.../storage.go): DELETE answers the object, not a Status. */
const RETURNS_DELETED_OBJECT = new Set(['Pod', 'Service', 'ServiceAccount', 'Namespace', 'StorageClass', 'CustomResourceDefinition', 'PersistentVolume']);

/**
 * DELETE as the generic registry answers it: an object still present (graceful pod deletion,
 * finalizers) comes back with its deletionTimestamp; one deleted at once comes back as itself for
 * ReturnDeletedObject kinds, else as Status Success naming it (finalizeDelete). DeleteOptions come
 * from the body and the query; preconditions (uid, resourceVersion) are checked first (409).
 */
function deleteOne(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource, name = ctx.name!;
  const opts = (ctx.body.trim() ? decodeBody(ctx.body, ctx.req) ?? {} : {}) as DeleteOptions & { preconditions?: { uid?: string; resourceVersion?: string } };
  const grace = ctx.query.get('gracePeriodSeconds');
  if (grace !== null && opts.gracePeriodSeconds === undefined) opts.gracePeriodSeconds = Number(grace);
  const cur = scope.store.mustGet(r, ctx.namespace, name);
  const pre = opts.preconditions;
  const qualified = r.group ? `${r.plural}.${r.group}` : r.plural;
  const failed = (what: string, want: string, have: string | undefined) => new ApiError(409, 'Conflict',
    `Operation cannot be fulfilled on ${qualified} "${name}": Precondition failed: ${what} in precondition: ${want}, ${what} in object meta: ${have ?? ''}`,
    { name, group: r.group, kind: r.plural });
  if (pre?.uid && pre.uid !== cur.metadata.uid) throw failed('UID', pre.uid, cur.metadata.uid);
  if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) throw failed('ResourceVersion', pre.resourceVersion, cur.metadata.resourceVersion);
  const deleteOptions = { ...opts, propagationPolicy: opts.propagationPolicy ?? ctx.query.get('propagationPolicy') ?? undefined };
  admitDelete(scope, ctx, cur, deleteOptions);
  // kubectl delete --dry-run=server says it in DeleteOptions (body), not in the query.
  if (isDryRun(ctx) || (opts as { dryRun?: string[] }).dryRun?.includes('All')) {
    // As it would be answered, nothing removed: still there (finalizers, a pod's grace) or gone.
    if (cur.metadata.finalizers?.length || r.kind === 'Pod') return writeJson(ctx.res, 200, { ...cur, metadata: { ...cur.metadata, deletionTimestamp: cur.metadata.deletionTimestamp ?? nowRfc3339() } });
    if (RETURNS_DELETED_OBJECT.has(r.kind)) return writeJson(ctx.res, 200, cur);
    return writeJson(ctx.res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: r.group, kind: r.plural, uid: cur.metadata.uid } });
  }
  const out = remove(scope, ctx, name, deleteOptions);
  const still = scope.store.find(r, ctx.namespace, name);
  if (still && still.metadata.uid === cur.metadata.uid) return writeJson(ctx.res, 200, still);
  if (RETURNS_DELETED_OBJECT.has(r.kind)) return writeJson(ctx.res, 200, out ?? cur);
  writeJson(ctx.res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: r.group, kind: r.plural, uid: cur.metadata.uid } });
}

function deleteCollection(scope: ApiScope, ctx: RequestContext): void {
  const r = ctx.resource;
  const labelOk = parseLabelSelector(ctx.query.get('labelSelector'));
  const items = scope.store.list(r, ctx.namespace).filter((o) => labelOk(o.metadata.labels ?? {}));
  const dry = isDryRun(ctx) || (ctx.body.trim() ? (decodeBody(ctx.body, ctx.req) as { dryRun?: string[] } | undefined)?.dryRun?.includes('All') : false);
  // Each item is admitted as a DELETE before it goes (genericregistry Store.DeleteCollection calls Delete per item).
  for (const o of items) { admitDelete(scope, ctx, o, {}); if (!dry) remove(scope, ctx, o.metadata.name, {}); }
  writeJson(ctx.res, 200, { kind: `${r.kind}List`, apiVersion: groupVersion(r), metadata: {}, items });
}

