/** pods/log: plain text from the pod runtime's hook (today a fixed sshd banner; previous/follow/container are not read). */
import { writeText } from '../http';
import type { ApiScope, RequestContext } from '../scope';

export function serveLog(scope: ApiScope, ctx: RequestContext): void {
  scope.store.mustGet(ctx.resource, ctx.namespace, ctx.name!);
  writeText(ctx.res, 200, scope.hooks.podLog?.(ctx.namespace!, ctx.name!) ?? '');
}
