/** Validation shared by kinds (k8s.io/apimachinery/pkg/api/validation: ObjectMeta names). */
import { invalid } from '../machinery/errors';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The name rules the real API enforces (labels for namespaces, services, pods of StatefulSets). */
export function validateObjectName(kind: string, group: string, name: unknown, label: boolean): void {
  if (typeof name !== 'string' || !name) {
    throw invalid(kind, group, String(name ?? ''), [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
  }
  const ok = label ? DNS1123_LABEL.test(name) && name.length <= 63 : DNS1123_SUBDOMAIN.test(name) && name.length <= 253;
  if (!ok) {
    throw invalid(kind, group, name, [{ field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 ${label ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` }]);
  }
}
