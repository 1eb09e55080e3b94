/**
 * JSON requests the controller sends with its own body: Leases and Events carry MicroTime fields
 * (`renewTime`, `eventTime`), which the API server parses with RFC3339Micro (exactly six fraction
 * digits); client-node's typed clients serialise Dates with three, so these go as plain JSON.
 */
import { ApiException, HttpMethod, RequestContext } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { kubeOp, type OpRow, type OpTarget } from '../kube/ops';
import { CappedHttpLibrary } from '../kube/request';

/** 2026-12-03T12:00:00.123456Z (MicroTime: six fraction digits). */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const METHODS = { GET: HttpMethod.GET, POST: HttpMethod.POST, PUT: HttpMethod.PUT, DELETE: HttpMethod.DELETE, APPLY: HttpMethod.PATCH } as const;

/**
 * One operation of the table (kube/ops.ts: retries, translated errors), answering parsed JSON. Also the
 * controller's hot path (a grant waits for it), so it skips the typed clients' serialisation.
 */
export function sendJson<T>(cluster: Cluster, row: OpRow, target: OpTarget, method: keyof typeof METHODS, path: string,
  body: unknown, signal: AbortSignal | undefined, retries?: number): Promise<T> {
  return kubeOp(cluster, row, target, async () => {
    const server = cluster.kc.getCurrentCluster()?.server;
    if (!server) throw new Error('KubeConfig has no current cluster');
    const ctx = new RequestContext(server + path, METHODS[method]);
    ctx.setHeaderParam('Accept', 'application/json');
    if (body !== undefined) {
      // APPLY: server-side apply (a JSON body is valid YAML).
      ctx.setHeaderParam('Content-Type', method === 'APPLY' ? 'application/apply-patch+yaml' : 'application/json');
      ctx.setBody(JSON.stringify(body));
    }
    await cluster.kc.applySecurityAuthentication(ctx);
    if (signal) ctx.setSignal(signal);
    const rsp = await new CappedHttpLibrary().send(ctx).toPromise();
    const text = await rsp.body.text();
    if (rsp.httpStatusCode < 200 || rsp.httpStatusCode > 299) throw new ApiException(rsp.httpStatusCode, 'Unknown API Status Code!', text, rsp.headers);
    return (text ? JSON.parse(text) : undefined) as T;
  }, { signal, ...(retries !== undefined ? { retries } : {}) });
}
