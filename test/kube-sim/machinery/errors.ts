/** Status objects shaped like the real API server's (k8s.io/apimachinery/pkg/api/errors), and the error type handlers throw. */
export class ApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
  toStatus(): object {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason,
      ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

const qualified = (plural: string, group: string) => (group ? `${plural}.${group}` : plural);

export const notFound = (plural: string, group: string, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, { name, group, kind: plural });
export const alreadyExists = (plural: string, group: string, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, { name, group, kind: plural });
export const conflict = (plural: string, group: string, name: string) =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group, kind: plural });
/** A field error as field.Error renders it: "field: body" (body e.g. "Required value", "Invalid value: 1: why"). */
export interface FieldError { field: string; message: string; reason?: string }
/**
 * 422 Invalid as errors.NewInvalid builds it: the kind qualified by its group ("StatefulSet.apps",
 * plain "Pod" for the core group), one error as is, several as an aggregate "[a, b]"; one cause each.
 */
export const invalid = (kind: string, group: string, name: string, causes: FieldError[]) => {
  const texts = [...new Set(causes.map((c) => `${c.field}: ${c.message}`))];
  return new ApiError(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`}`,
    { name, group, kind, causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })) });
};
export const gone = (message = 'too old resource version') => new ApiError(410, 'Expired', message);
export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
export const forbidden = (user: string, verb: string, plural: string, group: string, namespace?: string) =>
  new ApiError(403, 'Forbidden', `${qualified(plural, group)} is forbidden: User "${user}" cannot ${verb} resource "${plural}" in API group "${group}"${namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope'}`,
    { kind: plural, group });
export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

/** 404 for a path no resource serves (what the real server answers for unknown URLs). */
export const noSuchResource = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource');
export const methodNotAllowed = () => new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
