/**
 * The scale subresource (autoscaling/v1 Scale) of StatefulSets: GET, PUT and PATCH spec.replicas.
 * A PUT or patch carrying metadata.resourceVersion is conditional on the StatefulSet's version
 * (409 Conflict when stale, as every update: the scale REST's Update goes through the same
 * GuaranteedUpdate); the write is recorded in managedFields as an Update with subresource "scale".
 */
import { ApiError, conflict, methodNotAllowed, noSuchResource } from '../../machinery/errors';
import { managerOf } from '../../machinery/managedFields';
import { decodeBody, writeJson } from '../http';
import type { ApiScope, RequestContext } from '../scope';
import { applyPatch, patchTypeOf } from './patch';

export function serveScale(scope: ApiScope, ctx: RequestContext): void {
  const scale = scope.hooks.scale;
  if (ctx.resource.kind !== 'StatefulSet' || !scale) throw noSuchResource();
  const r = ctx.resource, ns = ctx.namespace!, name = ctx.name!;
  const method = ctx.req.method;
  if (method === 'GET') return writeJson(ctx.res, 200, scale(ns, name));
  const current = scale(ns, name) as { metadata: { resourceVersion: string } };
  let next: any;
  let body: any;
  if (method === 'PUT') next = body = decodeBody(ctx.body, ctx.req);
  else if (method === 'PATCH') {
    body = JSON.parse(ctx.body || 'null');
    next = applyPatch(patchTypeOf(ctx.req.headers['content-type']), current, body);
  } else throw methodNotAllowed();
  const replicas = next?.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`,
      { name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0`, field: 'spec.replicas' }] });
  }
  const wanted = method === 'PUT' ? next?.metadata?.resourceVersion : body?.metadata?.resourceVersion;
  if (wanted && wanted !== current.metadata.resourceVersion) throw conflict(r.plural, r.group, name);
  const set = scope.store.mustGet(r, ns, name);
  if (set.spec.replicas !== replicas) {
    set.spec = { ...set.spec, replicas };
    scope.store.update(r, set, { who: { ...managerOf(ctx.query, ctx.req.headers['user-agent']), subresource: 'scale' } });
  }
  writeJson(ctx.res, 200, scale(ns, name));
}
