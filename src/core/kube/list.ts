import type { ConfigurationOptions } from '@kubernetes/client-node';
import type { Cluster } from './cluster';
import { isTerrariumError, TerrariumError, type KubeOp } from './errors';
import { byteBudget, CappedHttpLibrary, requestJson, type ByteBudget } from './request';
import type { RetryOptions } from './retry';
import { opOf, type OpRow, type OpTarget } from './ops';

/**
 * Lists, page by page. Every list Terrarium makes goes through here: `limit` + `continue` (the API
 * server's chunking), one byte budget for all pages of a list (request.ts), a bound on the number
 * of pages, and a restart when a continue token expires. A server that ignores `limit` simply
 * answers everything in one page, which the byte budget still bounds.
 */

/** Objects per page; kubectl's --chunk-size default. */
export const LIST_PAGE_SIZE = 500;
/** A list that has not ended after this many pages is refused (a server looping on continue tokens). */
export const MAX_LIST_PAGES = 2000;
/**
 * How often a list restarts after its continue token expired (410 Expired, after about five
 * minutes). The documented choice for a consistent list is to start again without `continue`;
 * the token the 410 carries would give an inconsistent one, and watches need a consistent list.
 */
const MAX_RESTARTS = 2;

/** What to ask for in one page; spread it into a typed list call: `{ namespace, ...page }`. */
export interface PageQuery {
  limit: number;
  _continue?: string;
}

/** A list response: typed (V1ListMeta names the token `_continue`) or raw JSON (`continue`). */
export interface ListPage<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; _continue?: string; continue?: string };
}

export interface ListResult<T> {
  items: T[];
  /** The list's resourceVersion (every page of one list carries the snapshot's): watch from here. */
  resourceVersion?: string;
}

/** Retry options apply to each page (cluster.call); the rest to the whole list. */
export interface ListOptions extends RetryOptions {
  pageSize?: number;
  /** Bytes all pages together may use; default MAX_RESPONSE_BYTES. */
  maxBytes?: number;
}

/**
 * Every item of a list, page by page, through a typed client-node call:
 *   listAll(cluster, { verb: 'list', resource: 'pods' },
 *     (page, o) => cluster.core.listNamespacedPod({ namespace, labelSelector, ...page }, o))
 * Pass `o` on: it carries the signal and the capped fetch layer.
 */
export async function listAll<T>(
  cluster: Cluster, op: Omit<KubeOp, 'context'>,
  fetchPage: (page: PageQuery, options: ConfigurationOptions, budget: ByteBudget) => Promise<ListPage<T>>,
  opts: ListOptions = {},
): Promise<ListResult<T>> {
  const { pageSize = LIST_PAGE_SIZE, maxBytes, ...retry } = opts;
  for (let restarts = 0; ; restarts++) {
    const budget = byteBudget(maxBytes);
    const httpApi = new CappedHttpLibrary(budget);
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion: string | undefined;
    try {
      for (let pages = 0; ; pages++) {
        if (pages >= MAX_LIST_PAGES) throw endlessList(cluster, op, pages);
        const query: PageQuery = { limit: pageSize, ...(token ? { _continue: token } : {}) };
        const page = await cluster.call(op, (o) => fetchPage(query, { ...(o ?? {}), httpApi } as ConfigurationOptions, budget), retry);
        for (const item of page.items ?? []) items.push(item);
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        const next = page.metadata?._continue ?? page.metadata?.continue;
        if (!next) return { items, resourceVersion };
        token = next;
      }
    } catch (e) {
      if (token !== undefined && restarts < MAX_RESTARTS && isTerrariumError(e, 'Gone')) continue;
      throw e;
    }
  }
}

/** Every item of a list of any API path as plain JSON (see getJson), page by page. */
export async function listAllJson<T>(
  cluster: Cluster, op: Omit<KubeOp, 'context'>, apiPath: string,
  query: Record<string, string | undefined> = {}, opts: ListOptions & { accept?: string } = {},
): Promise<ListResult<T>> {
  return listAll<T>(cluster, op, (page, _o, budget) => requestJson<ListPage<T>>(cluster.kc, {
    method: 'GET', path: apiPath, signal: opts.signal, accept: opts.accept, budget,
    query: { ...query, limit: String(page.limit), continue: page._continue },
  }), opts);
}

function endlessList(cluster: Cluster, op: Omit<KubeOp, 'context'>, pages: number): TerrariumError {
  const where = op.namespace ?? cluster.namespace;
  return new TerrariumError('ResponseTooLarge',
    `The list of ${op.resource} in namespace "${where}" did not end after ${pages} pages from ${cluster.server ?? 'the API server'}; Terrarium stopped reading it.`,
    `Terrarium reads lists ${LIST_PAGE_SIZE} objects at a time; a list this long means the server keeps answering with continue tokens. Ask the cluster admin to check the API server.`);
}

/** Every item of a list operation of the table (ops.ts), page by page. */
export function listOp<T>(cluster: Cluster, r: OpRow & { verb: 'list' },
  fetchPage: (page: PageQuery, options: ConfigurationOptions, budget: ByteBudget) => Promise<ListPage<T>>,
  opts?: ListOptions, target: OpTarget = {}): Promise<ListResult<T>> {
  return listAll<T>(cluster, opOf(r, target), fetchPage, opts);
}

/** listOp over a raw API path as plain JSON (custom resources, metadata-only reads). */
export function listOpJson<T>(cluster: Cluster, r: OpRow & { verb: 'list' }, apiPath: string,
  query: Record<string, string | undefined> = {}, opts: ListOptions & { accept?: string } = {}, target: OpTarget = {}): Promise<ListResult<T>> {
  return listAllJson<T>(cluster, opOf(r, target), apiPath, query, opts);
}
