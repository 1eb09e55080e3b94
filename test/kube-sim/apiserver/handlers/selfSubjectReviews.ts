/**
 * The self reviews, answered and never stored (kube-apiserver's pkg/registry/authentication/
 * selfsubjectreview and pkg/registry/authorization/selfsubject{access,rules}review):
 * - SelfSubjectReview (authentication.k8s.io/v1): status.userInfo is the requester (after
 *   impersonation), as `kubectl auth whoami` shows;
 * - SelfSubjectAccessReview (authorization.k8s.io/v1): status.allowed (and reason) for
 *   spec.resourceAttributes or spec.nonResourceAttributes, as `kubectl auth can-i` asks;
 * - SelfSubjectRulesReview (authorization.k8s.io/v1): the rules the requester holds in
 *   spec.namespace, as `kubectl auth can-i --list` prints (incomplete when a binding names a
 *   missing role, with evaluationError).
 * All three answer 201 Created with the request's spec echoed.
 */
import { invalid, methodNotAllowed } from '../../machinery/errors';
import type { DenyListAuthorizer } from '../filters/authorization';
import { decodeBody, writeJson } from '../http';
import type { RequestContext } from '../scope';

const groupVersionOf = (ctx: RequestContext) => `${ctx.resource.group}/${ctx.resource.version}`;

export function serveSelfReview(authorizer: DenyListAuthorizer, ctx: RequestContext): void {
  if (ctx.req.method !== 'POST' || ctx.name) throw methodNotAllowed();
  const body = (ctx.body ? decodeBody(ctx.body, ctx.req) : {}) ?? {};
  const head = { apiVersion: groupVersionOf(ctx), kind: ctx.resource.kind, metadata: { ...(body.metadata ?? {}), creationTimestamp: null } };
  const user = ctx.user;
  switch (ctx.resource.plural) {
    case 'selfsubjectreviews':
      return writeJson(ctx.res, 201, { ...head, status: { userInfo: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) } } });
    case 'selfsubjectaccessreviews': {
      const spec = body.spec ?? {};
      const ra = spec.resourceAttributes, nra = spec.nonResourceAttributes;
      const kind = 'SelfSubjectAccessReview.authorization.k8s.io';
      if (!ra && !nra) throw invalid(kind, 'authorization.k8s.io', '', [{ field: 'spec.resourceAttributes', reason: 'FieldValueRequired', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
      if (ra && nra) throw invalid(kind, 'authorization.k8s.io', '', [{ field: 'spec.nonResourceAttributes', message: `Invalid value: ${JSON.stringify(nra)}: cannot be specified in combination with resourceAttributes` }]);
      const d = ra
        ? authorizer.decide({ user, verb: ra.verb ?? '', apiGroup: ra.group ?? '', resource: ra.resource ?? '', subresource: ra.subresource || undefined, namespace: ra.namespace || undefined, name: ra.name || undefined })
        : authorizer.decide({ user, verb: nra.verb ?? '', apiGroup: '', resource: '', path: nra.path ?? '' });
      return writeJson(ctx.res, 201, { ...head, spec, status: { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) } });
    }
    case 'selfsubjectrulesreviews': {
      const spec = body.spec ?? {};
      const { rules, errors } = authorizer.rulesFor(user, spec.namespace || undefined);
      const resourceRules = rules.filter((r) => !r.nonResourceURLs?.length).map((r) => ({
        verbs: r.verbs, ...(r.apiGroups ? { apiGroups: r.apiGroups } : {}), ...(r.resources ? { resources: r.resources } : {}), ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
      }));
      const nonResourceRules = rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
      return writeJson(ctx.res, 201, { ...head, spec, status: { resourceRules, nonResourceRules, incomplete: errors.length > 0, ...(errors.length ? { evaluationError: errors.join(', ') } : {}) } });
    }
    default: throw methodNotAllowed();
  }
}
