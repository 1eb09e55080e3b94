/**
 * Watch (GET a collection with watch=true): the current objects as ADDED (or the history after
 * resourceVersion; 410 Expired when compacted), then live events, BOOKMARKs every 10 s when
 * allowWatchBookmarks, until timeoutSeconds (at most the server's watch timeout).
 */
import type { ApiError } from '../../machinery/errors';
import { parseFieldSelector, parseLabelSelector } from '../../machinery/selectors';
import type { KubeObject } from '../../machinery/types';
import { groupVersion, type ResourceDef } from '../../registry/types';
import type { WatchEvent } from '../../storage/store';
import type { ApiScope, RequestContext } from '../scope';

export function serveWatch(scope: ApiScope, ctx: RequestContext): void {
  const { req, res, query: q, resource: r, namespace: ns } = ctx;
  const store = scope.store;
  const labelOk = parseLabelSelector(q.get('labelSelector'));
  const fieldOk = parseFieldSelector(q.get('fieldSelector'));
  const matches = (e: { res: ResourceDef; object: KubeObject }) => e.res === r && (!r.namespaced || ns === undefined || e.object.metadata.namespace === ns)
    && labelOk(e.object.metadata.labels ?? {}) && fieldOk(e.object);
  const rvText = q.get('resourceVersion');
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  const send = (type: string, object: unknown) => res.write(JSON.stringify({ type, object }) + '\n');
  let replay: WatchEvent[] = [];
  if (rvText && rvText !== '0') {
    try {
      replay = store.since(Number(rvText));
    } catch (e) {
      send('ERROR', (e as ApiError).toStatus());
      res.end();
      return;
    }
  } else {
    for (const o of store.list(r, ns)) if (matches({ res: r, object: o })) send('ADDED', o);
  }
  for (const e of replay) if (matches(e)) send(e.type, e.object);
  const unsub = store.subscribe((e) => { if (matches(e)) send(e.type, e.object); });
  const bookmarkTimer = q.get('allowWatchBookmarks') === 'true'
    ? setInterval(() => send('BOOKMARK', { kind: r.kind, apiVersion: groupVersion(r), metadata: { resourceVersion: String(store.rv) } }), 10_000)
    : undefined;
  const max = scope.watchTimeout();
  const timeout = Math.min(Number(q.get('timeoutSeconds') ?? max) || max, max);
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
