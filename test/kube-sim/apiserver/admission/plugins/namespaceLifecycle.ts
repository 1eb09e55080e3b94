/**
 * NamespaceLifecycle (plugin/pkg/admission/namespace/lifecycle): no new objects in a namespace
 * that does not exist (404 namespaces "x" not found). kube-sim today lets Events through, and
 * checks neither server-side apply creates nor a terminating namespace (real servers do; issue 10).
 */
import { ApiError } from '../../../machinery/errors';
import { namespaces } from '../../../registry';
import type { Store } from '../../../storage/store';
import type { AdmissionAttributes, MutatingPlugin } from '../chain';

export class NamespaceLifecycle implements MutatingPlugin {
  readonly name = 'NamespaceLifecycle';

  constructor(private readonly store: Store) {}

  admit(a: AdmissionAttributes): void {
    if (a.operation !== 'CREATE' || a.applyCreate || !a.resource.namespaced || !a.namespace || a.resource.kind === 'Event') return;
    if (!this.store.get(namespaces, undefined, a.namespace)) {
      throw new ApiError(404, 'NotFound', `namespaces "${a.namespace}" not found`, { name: a.namespace, kind: 'namespaces' });
    }
  }
}
