/**
 * pods/log: plain text from the pod runtime's hook. `container` picks the container (400 when the
 * pod has no such container, the real text); `previous=true` serves the last terminated run
 * (400 `previous terminated container "c" in pod "p" not found` when there is none), as the
 * kubelet does (pkg/kubelet/kubelet_pods.go GetContainerLogs / validateContainerLogStatus).
 * `follow`, `tailLines` and `sinceSeconds` are not read.
 */
import { badRequest } from '../../machinery/errors';
import { writeText } from '../http';
import type { ApiScope, RequestContext } from '../scope';

export function serveLog(scope: ApiScope, ctx: RequestContext): void {
  const pod = scope.store.mustGet(ctx.resource, ctx.namespace, ctx.name!);
  const names: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
  const asked = ctx.query.get('container') ?? undefined;
  if (!asked && names.length > 1) {
    throw badRequest(`a container name must be specified for pod ${ctx.name}, choose one of: [${names.join(' ')}]`);
  }
  const container = asked ?? names[0];
  if (asked && !names.includes(asked) && !(pod.spec?.initContainers ?? []).some((c: { name: string }) => c.name === asked)) {
    throw badRequest(`container ${asked} is not valid for pod ${ctx.name}`);
  }
  const previous = ['true', '1', 'True'].includes(ctx.query.get('previous') ?? '');
  writeText(ctx.res, 200, scope.hooks.podLog?.(ctx.namespace!, ctx.name!, { container, previous }) ?? '');
}
