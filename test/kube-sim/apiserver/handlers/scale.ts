/** The scale subresource (autoscaling/v1 Scale) of StatefulSets: GET, PUT and PATCH spec.replicas. */
import { ApiError, methodNotAllowed, noSuchResource } from '../../machinery/errors';
import { decodeBody, writeJson } from '../http';
import type { ApiScope, RequestContext } from '../scope';
import { applyPatch, patchTypeOf } from './patch';

export function serveScale(scope: ApiScope, ctx: RequestContext): void {
  const scale = scope.hooks.scale;
  if (ctx.resource.kind !== 'StatefulSet' || !scale) throw noSuchResource();
  const ns = ctx.namespace!, name = ctx.name!;
  const method = ctx.req.method;
  if (method === 'GET') return writeJson(ctx.res, 200, scale(ns, name));
  const current = scale(ns, name);
  let next: any;
  if (method === 'PUT') next = decodeBody(ctx.body, ctx.req);
  else if (method === 'PATCH') next = applyPatch(patchTypeOf(ctx.req.headers['content-type']), current, JSON.parse(ctx.body || 'null'));
  else throw methodNotAllowed();
  const replicas = next?.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new ApiError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`,
      { name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${replicas}: must be greater than or equal to 0`, field: 'spec.replicas' }] });
  }
  writeJson(ctx.res, 200, scale(ns, name, replicas));
}
