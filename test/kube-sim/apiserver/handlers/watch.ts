/**
 * Watch (GET a collection with watch=true|1|True...), following
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes:
 * - no resourceVersion (or "0"): the current objects as ADDED, then changes;
 * - resourceVersion=N: the history after N; a compacted N answers one ERROR event carrying a
 *   410 Expired Status ("too old resource version: N (M)") and ends;
 * - sendInitialEvents=true (with resourceVersionMatch=NotOlderThan, as validateWatchOptions
 *   requires): the current objects as ADDED, then, with allowWatchBookmarks=true, a BOOKMARK
 *   annotated k8s.io/initial-events-end: "true" (the streaming-list protocol, KEP-3157);
 * - BOOKMARKs every 10 s when allowWatchBookmarks; the watch ends after timeoutSeconds (at most
 *   an hour; without it, the server's watch timeout).
 */
import { ApiError } from '../../machinery/errors';
import { parseFieldSelector, parseLabelSelector } from '../../machinery/selectors';
import type { KubeObject } from '../../machinery/types';
import { groupVersion, type ResourceDef } from '../../registry/types';
import type { WatchEvent } from '../../storage/store';
import type { ApiScope, RequestContext } from '../scope';
import { validateListOptions } from './listOptions';
import { toTable, wantsTable } from './table';

export function serveWatch(scope: ApiScope, ctx: RequestContext): void {
  const { req, res, query: q, resource: r, namespace: ns } = ctx;
  const store = scope.store;
  // Everything that can fail as a plain HTTP error does so before the stream starts.
  const labelOk = parseLabelSelector(q.get('labelSelector'));
  const fieldOk = parseFieldSelector(q.get('fieldSelector'), r.kind);
  validateListOptions(q, true);
  const matches = (e: { res: ResourceDef; object: KubeObject }) => e.res === r && (!r.namespaced || ns === undefined || e.object.metadata.namespace === ns)
    && labelOk(e.object.metadata.labels ?? {}) && fieldOk(e.object);
  const rvText = q.get('resourceVersion') ?? '';
  const sendInitial = q.get('sendInitialEvents') === 'true';
  const bookmarks = (q.get('allowWatchBookmarks') ?? '').toLowerCase() === 'true';
  if (rvText && !/^\d+$/.test(rvText)) throw new ApiError(400, 'BadRequest', `resourceVersion: Invalid value: "${rvText}": strconv.ParseUint: parsing "${rvText}": invalid syntax`);
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  // kubectl get -w asks for Tables: each object event then carries a one-row Table (columns on the first only).
  const table = wantsTable(ctx);
  let columnsSent = false;
  const asTable = (type: string, object: any) => {
    if (!table || type === 'ERROR' || type === 'BOOKMARK') return object;
    const t = toTable(r, [object], { resourceVersion: object.metadata?.resourceVersion }) as { columnDefinitions?: unknown[] };
    if (columnsSent) t.columnDefinitions = [];
    columnsSent = true;
    return t;
  };
  const send = (type: string, object: unknown) => { if (!res.writableEnded) res.write(JSON.stringify({ type, object: asTable(type, object) }) + '\n'); };
  const bookmark = (annotations?: Record<string, string>) => send('BOOKMARK', {
    kind: r.kind, apiVersion: groupVersion(r), metadata: { resourceVersion: String(store.rv), ...(annotations ? { annotations } : {}) },
  });
  let replay: WatchEvent[] = [];
  if (rvText && rvText !== '0' && !sendInitial) {
    try {
      replay = store.since(Number(rvText));
    } catch (e) {
      send('ERROR', (e as ApiError).toStatus());
      res.end();
      return;
    }
  } else {
    for (const o of store.list(r, ns)) if (matches({ res: r, object: o })) send('ADDED', o);
    if (sendInitial && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  }
  for (const e of replay) if (matches(e)) send(e.type, e.object);
  const unsub = store.subscribe((e) => { if (matches(e)) send(e.type, e.object); });
  const bookmarkTimer = bookmarks ? setInterval(() => bookmark(), 10_000) : undefined;
  const max = scope.watchTimeout();
  const asked = Number(q.get('timeoutSeconds'));
  // A client's timeoutSeconds is honoured as asked (the real server's cap is its request timeout, minutes);
  // without one the server picks (kube-sim: its watch timeout, short so clients exercise reconnects).
  const timeout = Number.isFinite(asked) && asked > 0 ? Math.min(asked, 3600) : max;
  const end = () => {
    clearTimeout(timer);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    unsub();
    scope.watches.delete(end);
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(end, timeout * 1000);
  scope.watches.add(end);
  req.on('close', end);
}
