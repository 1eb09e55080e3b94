/**
 * List and watch options as kube-apiserver validates them
 * (k8s.io/apiserver/pkg/apis/meta/internalversion/validation: ValidateListOptions and
 * validateWatchOptions; the handler answers 422 Invalid on kind ListOptions.meta.k8s.io), and
 * continue tokens shaped like storage/etcd3's (base64 JSON of the list's resourceVersion and the
 * last key served: opaque to clients).
 */
import { ApiError, badRequest } from '../../machinery/errors';

interface Cause { field: string; message: string; reason: string }

export function invalidListOptions(causes: Cause[]): ApiError {
  const text = causes.map((c) => `${c.field}: ${c.message}`);
  return new ApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`,
    { group: 'meta.k8s.io', kind: 'ListOptions', causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })) });
}

const forbidden = (field: string, detail: string): Cause => ({ field, message: `Forbidden: ${detail}`, reason: 'FieldValueForbidden' });
const notSupported = (field: string, value: string, allowed: string[]): Cause =>
  ({ field, message: `Unsupported value: "${value}": supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`, reason: 'FieldValueNotSupported' });

/** Throws 422 for the combinations the real server forbids; `watch` selects the watch rules. */
export function validateListOptions(q: URLSearchParams, watch: boolean): void {
  const match = q.get('resourceVersionMatch') ?? '';
  const rv = q.get('resourceVersion') ?? '';
  const cont = q.get('continue') ?? '';
  const sendInitial = q.get('sendInitialEvents');
  const errs: Cause[] = [];
  if (watch) {
    if (sendInitial !== null && match !== 'NotOlderThan') errs.push(forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    if (match) {
      if (sendInitial === null) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'));
      if (match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (cont) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match) {
      if (!rv) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      if (cont) errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan') errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && rv === '0') errs.push(forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
    if (sendInitial !== null) errs.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  if (errs.length) throw invalidListOptions(errs);
}

/** storage/etcd3/errors.go: the message of a 410 for a continue token whose snapshot was compacted. */
export const INCONSISTENT_CONTINUE = 'The provided continue parameter is too old to display a consistent list result. '
  + 'You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. '
  + 'Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** A 410 Expired whose Status carries a continue token (metadata.continue), as the real server's does. */
export class ExpiredContinue extends ApiError {
  constructor(readonly token: string) { super(410, 'Expired', INCONSISTENT_CONTINUE); }
  override toStatus(): object { return { ...super.toStatus() as object, metadata: { continue: this.token } }; }
}

export function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

export function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (t.v !== 'meta.k8s.io/v1') throw new Error(`incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
    if (typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('invalid token');
    return { rv: t.rv, start: t.start };
  } catch (e) {
    throw badRequest(`continue key is not valid: ${e instanceof Error ? e.message : e}`);
  }
}
