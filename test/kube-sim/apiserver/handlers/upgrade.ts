/**
 * pods/exec, pods/attach and pods/portforward. Over plain HTTP they answer 400 "Upgrade request
 * required"; a WebSocket upgrade of a running pod is handed to the pod runtime (which speaks the
 * channel protocols).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest } from '../../machinery/errors';
import type { ObjectInput } from '../../machinery/types';
import type { ApiScope, RequestContext, StreamKind } from '../scope';

export const STREAM_SUBRESOURCES: ReadonlySet<string> = new Set<StreamKind>(['exec', 'attach', 'portforward']);

const bool = (q: URLSearchParams, k: string) => { const v = q.get(k); return v !== null && v !== '0' && v.toLowerCase() !== 'false'; };

/**
 * CONNECT admission, as the connect handler runs it before the stream (k8s.io/apiserver
 * endpoints/handlers/rest.go ConnectResource): the options object decoded from the query
 * (PodExecOptions, PodAttachOptions, PodPortForwardOptions of core/v1), operation CONNECT,
 * resource pods with the subresource. A refusal answers the request (or the upgrade) with its Status.
 */
export function admitConnect(scope: ApiScope, ctx: RequestContext): void {
  const q = ctx.query, sub = ctx.subresource as StreamKind;
  const container = q.get('container') ?? undefined;
  const streams = { stdin: bool(q, 'stdin'), stdout: bool(q, 'stdout'), stderr: bool(q, 'stderr'), tty: bool(q, 'tty'), ...(container ? { container } : {}) };
  const object = sub === 'exec' ? { kind: 'PodExecOptions', apiVersion: 'v1', ...streams, command: q.getAll('command') }
    : sub === 'attach' ? { kind: 'PodAttachOptions', apiVersion: 'v1', ...streams }
      : { kind: 'PodPortForwardOptions', apiVersion: 'v1', ports: q.getAll('ports').flatMap((p) => p.split(',')).filter(Boolean).map(Number) };
  scope.admission.run({ operation: 'CONNECT', resource: ctx.resource, subresource: sub, namespace: ctx.namespace, name: ctx.name!,
    object: object as unknown as ObjectInput, kind: object.kind, user: ctx.user, dryRun: false });
}

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
