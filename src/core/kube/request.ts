import {
  ApiException, HttpMethod, IsomorphicFetchHttpLibrary, Observable, RequestContext, ResponseContext,
  type HttpLibrary, type KubeConfig,
} from '@kubernetes/client-node';
import { TerrariumError } from './errors';

/**
 * The most Terrarium reads from one API response (and, for a list, from all its pages together).
 * Lists are paged (see list.ts), so a page of 500 objects stays far below this; a body this large
 * means a server or proxy that ignores `limit`, or a hostile one. Without a cap one 2 GB pod list
 * took the CLI to 5.9 GB of memory.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Bytes still allowed for one logical read; a list shares one budget across its pages. */
export interface ByteBudget {
  remaining: number;
  /** The cap the budget started from, for the error text. */
  readonly limit: number;
}

export function byteBudget(limit = MAX_RESPONSE_BYTES): ByteBudget {
  return { remaining: limit, limit };
}

/** "pods in namespace "devenv"" from an API path, for error texts. */
export function describeApiPath(apiPath: string): string {
  const m = /^\/(?:api\/[^/]+|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/?]+)(?:\/([^/?]+))?/.exec(apiPath);
  if (!m) return apiPath;
  const [, group, ns, plural, name] = m;
  const resource = group ? `${plural}.${group}` : plural!;
  const what = name ? `${resource} "${decodeURIComponent(name)}"` : `the list of ${resource}`;
  return ns ? `${what} in namespace "${decodeURIComponent(ns)}"` : what;
}

export function responseTooLarge(url: string, limit: number): TerrariumError {
  const u = new URL(url);
  const mib = Math.round(limit / (1024 * 1024));
  const what = u.searchParams.get('watch') === 'true'
    ? describeApiPath(u.pathname).replace(/^the list of/, 'one event of the watch of')
    : describeApiPath(u.pathname);
  return new TerrariumError('ResponseTooLarge',
    `The API server at ${u.origin} sent more than ${mib} MiB for ${what}; Terrarium stopped reading it.`,
    'Terrarium asks for lists 500 objects at a time, so an answer this large means the server (or a proxy in front of it) '
    + `ignores \`limit\`, or the objects are unusually large. See what it sends with \`kubectl get --raw '${u.pathname}?limit=1'\` `
    + 'and ask the cluster admin.');
}

/**
 * Reads a body, refusing more than the budget allows: past it the stream is cancelled (which
 * closes the connection) and ResponseTooLarge thrown, so memory stays bounded by the cap.
 */
export async function readCapped(body: ReadableStream<Uint8Array> | null | undefined, budget: ByteBudget, url: string): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > budget.remaining) {
        budget.remaining = 0;
        chunks.length = 0;
        await reader.cancel().catch(() => {});
        throw responseTooLarge(url, budget.limit);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  budget.remaining -= size;
  return Buffer.concat(chunks, size);
}

/**
 * client-node's fetch layer with a cap on what it reads: the generated clients call body.text()
 * (or getBodyAsAny() for errors) on the ResponseContext; both read through readCapped here.
 * Pass it as `httpApi` in a call's ConfigurationOptions (list.ts does for every list).
 */
export class CappedHttpLibrary implements HttpLibrary {
  private readonly inner = new IsomorphicFetchHttpLibrary();
  constructor(private readonly budget: ByteBudget = byteBudget()) {}

  send(ctx: RequestContext): Observable<ResponseContext> {
    const url = ctx.getUrl();
    return new Observable(this.inner.send(ctx).toPromise().then((rsp) => {
      let read: Promise<Buffer> | undefined;
      const bytes = () => (read ??= readCapped(rsp.body.stream() as ReadableStream<Uint8Array> | null | undefined, this.budget, url));
      return new ResponseContext(rsp.httpStatusCode, rsp.headers, {
        text: async () => (await bytes()).toString('utf8'),
        binary: bytes,
        stream: () => rsp.body.stream(),
      });
    }));
  }
}

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
  /** What the response may use; default a fresh MAX_RESPONSE_BYTES. Pages of one list share one. */
  budget?: ByteBudget;
}

/** One request of any API path and method, answering plain JSON (see getJson). Bodies are capped. */
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
  const rsp = await new CappedHttpLibrary(req.budget).send(ctx).toPromise();
  const text = await rsp.body.text();
  if (rsp.httpStatusCode < 200 || rsp.httpStatusCode > 299) {
    throw new ApiException(rsp.httpStatusCode, 'Unknown API Status Code!', text, rsp.headers);
  }
  return JSON.parse(text) as T;
}
