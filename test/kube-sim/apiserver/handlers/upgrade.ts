/**
 * pods/exec, pods/attach and pods/portforward. Over plain HTTP they answer 400 "Upgrade request
 * required"; a WebSocket upgrade of a running pod is handed to the pod runtime (which speaks the
 * channel protocols).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest } from '../../machinery/errors';
import type { ApiScope, RequestContext, StreamKind } from '../scope';

export const STREAM_SUBRESOURCES: ReadonlySet<string> = new Set<StreamKind>(['exec', 'attach', 'portforward']);

export function serveStreamWithoutUpgrade(): never {
  throw badRequest('Upgrade request required');
}

export function serveUpgrade(scope: ApiScope, ctx: Pick<RequestContext, 'resource' | 'namespace' | 'name' | 'subresource' | 'query'>,
  req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const kind = ctx.subresource as StreamKind;
  const ns = ctx.namespace!, name = ctx.name!;
  const pod = scope.store.mustGet(ctx.resource, ns, name);
  if (pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp) {
    throw badRequest(`pod ${name} is not running (phase: ${pod.status?.phase ?? 'Unknown'})`);
  }
  if (!scope.hooks.upgrade) throw badRequest(`${kind} is not supported by this cluster`);
  scope.hooks.upgrade(kind, req, socket, head, ns, name, ctx.query);
}
