import { ApiException, HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';

/**
 * A GET of any API path with the context's credentials and TLS settings, answering plain JSON.
 * Used where the typed clients do not fit: lists of any resource for watch caches (typed lists
 * turn timestamps into Dates while watch events carry strings; raw keeps both the same).
 * Failures have the same shapes as the generated clients' (ApiException with the raw body).
 */
export async function getJson<T>(kc: KubeConfig, apiPath: string, query: Record<string, string | undefined> = {}, signal?: AbortSignal, accept = 'application/json'): Promise<T> {
  return requestJson<T>(kc, { method: 'GET', path: apiPath, query, signal, accept });
}

export interface JsonRequest {
  method: 'GET' | 'PATCH';
  path: string;
  query?: Record<string, string | undefined>;
  /** E.g. metadata only: "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1". */
  accept?: string;
  body?: unknown;
  contentType?: 'application/merge-patch+json' | 'application/strategic-merge-patch+json';
  signal?: AbortSignal;
}

/** One request of any API path and method, answering plain JSON (see getJson). */
export async function requestJson<T>(kc: KubeConfig, req: JsonRequest): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('KubeConfig has no current cluster');
  const url = new URL(cluster.server + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const ctx = new RequestContext(url.toString(), req.method === 'GET' ? HttpMethod.GET : HttpMethod.PATCH);
  ctx.setHeaderParam('Accept', req.accept ?? 'application/json');
  if (req.body !== undefined) {
    ctx.setHeaderParam('Content-Type', req.contentType ?? 'application/merge-patch+json');
    ctx.setBody(JSON.stringify(req.body));
  }
  await kc.applySecurityAuthentication(ctx);
  if (req.signal) ctx.setSignal(req.signal);
  const rsp = await new IsomorphicFetchHttpLibrary().send(ctx).toPromise();
  const text = await rsp.body.text();
  if (rsp.httpStatusCode < 200 || rsp.httpStatusCode > 299) {
    throw new ApiException(rsp.httpStatusCode, 'Unknown API Status Code!', text, rsp.headers);
  }
  return JSON.parse(text) as T;
}
