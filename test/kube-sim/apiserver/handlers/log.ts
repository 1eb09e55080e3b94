/**
 * pods/log: plain text from the pod runtime's hook. `container` picks the container (400 when the
 * pod has no such container, the real text); `previous=true` serves the last terminated run
 * (400 `previous terminated container "c" in pod "p" not found` when there is none), as the
 * kubelet does (pkg/kubelet/kubelet_pods.go GetContainerLogs / validateContainerLogStatus).
 * `follow=true` keeps the answer open and sends output as the container writes it, ending when the
 * container has terminated or the pod is gone (kubectl logs -f; the kubelet's follow of the CRI log
 * file). `tailLines` and `sinceSeconds` are not read.
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
  const text = () => scope.hooks.podLog?.(ctx.namespace!, ctx.name!, { container, previous }) ?? '';
  if (!previous && ['true', '1', 'True'].includes(ctx.query.get('follow') ?? '')) { followLog(scope, ctx, pod.metadata.uid, container!, text); return; }
  writeText(ctx.res, 200, text());
}

/** Streams new output every 50 ms until the container terminated (its last output sent) or the pod went away. */
function followLog(scope: ApiScope, ctx: RequestContext, uid: string, container: string, text: () => string): void {
  const { res } = ctx;
  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    let t = '';
    try { t = text(); } catch { /* the pod went away */ }
    // The runtime keeps the last 1 MiB: past that, what was cut before it was sent is skipped.
    if (t.length < sent) sent = 0;
    if (t.length > sent) { res.write(t.slice(sent)); sent = t.length; }
  };
  const tick = () => {
    const pod = scope.store.get(ctx.resource, ctx.namespace, ctx.name!);
    const st = pod?.status?.containerStatuses?.find((c: { name: string }) => c.name === container);
    // A deleted pod's log is gone with it: the stream just ends (nothing more is read).
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp) { res.end(); return; }
    const ended = !!st?.state?.terminated || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    flush();
    if (ended) { res.end(); return; }
    timer = setTimeout(tick, 50);
  };
  res.on('close', () => clearTimeout(timer));
  tick();
}
