import { ApiException, HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';

/**
 * A GET of any API path with the context's credentials and TLS settings, answering plain JSON.
 * Used where the typed clients do not fit: lists of any resource for watch caches (typed lists
 * turn timestamps into Dates while watch events carry strings; raw keeps both the same).
 * Failures have the same shapes as the generated clients' (ApiException with the raw body).
 */
export async function getJson<T>(kc: KubeConfig, apiPath: string, query: Record<string, string | undefined> = {}, signal?: AbortSignal): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('KubeConfig has no current cluster');
  const url = new URL(cluster.server + apiPath);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  ctx.setHeaderParam('Accept', 'application/json');
  await kc.applySecurityAuthentication(ctx);
  if (signal) ctx.setSignal(signal);
  const rsp = await new IsomorphicFetchHttpLibrary().send(ctx).toPromise();
  const text = await rsp.body.text();
  if (rsp.httpStatusCode < 200 || rsp.httpStatusCode > 299) {
    throw new ApiException(rsp.httpStatusCode, 'Unknown API Status Code!', text, rsp.headers);
  }
  return JSON.parse(text) as T;
}
