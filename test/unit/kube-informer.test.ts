// The watch cache against a small list/watch server speaking the real protocol (JSON lines,
// resourceVersion, 410 as an in-stream ERROR event), through client-node's Watch and ListWatch.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import type { V1StatefulSet } from '@kubernetes/client-node';
import { createInformer, RESOURCES, type Informer, type InformerChange } from '../../src/core/kube/informer';
import { sleep } from '../../src/core/kube/retry';
import type { Cluster } from '../../src/core/kube/cluster';
import { clusterFor, sendJson, sendStatus, startApi, statusBody, tempDir, type TestApi } from './kube-testkit';

const PATH = '/apis/apps/v1/namespaces/devenv/statefulsets';
const SELECTOR = 'app.kubernetes.io/managed-by=terrarium';

/** StatefulSets in namespace devenv with a resourceVersion history, served over list + watch. */
class FakeStatefulSets {
  rv = 1;
  objects = new Map<string, V1StatefulSet>();
  history: { rv: number; type: string; object: V1StatefulSet }[] = [];
  /** Watches from a resourceVersion below this get a 410 (as if etcd compacted). */
  compactedBelow = 0;
  watches = new Set<http.ServerResponse>();
  lists = 0;
  watchFrom: string[] = [];
  /** When set, lists answer at most this many objects per response, with continue tokens. */
  pageSize: number | undefined;
  listQueries: URLSearchParams[] = [];
  /** When set, a watch streams one event line that never ends (up to 640 MiB); counts bytes written. */
  endlessWatch = false;
  endlessSent = 0;
  api!: TestApi;

  matches(obj: V1StatefulSet, selector: string | null): boolean {
    if (!selector) return true;
    const [k, v] = selector.split('=');
    return obj.metadata?.labels?.[k!] === v;
  }

  change(type: 'ADDED' | 'MODIFIED' | 'DELETED', name: string, managed = true): void {
    const rv = ++this.rv;
    const labels: Record<string, string> = managed ? { 'app.kubernetes.io/managed-by': 'terrarium' } : { other: 'x' };
    const object: V1StatefulSet = { metadata: { name, namespace: 'devenv', resourceVersion: String(rv), labels }, spec: { replicas: rv } as V1StatefulSet['spec'] };
    if (type === 'DELETED') this.objects.delete(name); else this.objects.set(name, object);
    this.history.push({ rv, type, object });
    for (const res of this.watches) {
      const sel = (res as any).selector as string | null;
      if (this.matches(object, sel)) res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  /** Ends every open watch the way an API server's timeout does. */
  endWatches(): void {
    for (const res of this.watches) res.end();
    this.watches.clear();
  }

  handle = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    if (url.pathname !== PATH) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource', {});
    const selector = url.searchParams.get('labelSelector');
    if (url.searchParams.get('watch') !== 'true') {
      this.lists++;
      this.listQueries.push(url.searchParams);
      const items = [...this.objects.values()].filter((o) => this.matches(o, selector));
      if (!this.pageSize) return sendJson(res, { kind: 'StatefulSetList', apiVersion: 'apps/v1', metadata: { resourceVersion: String(this.rv) }, items });
      // Chunked as the API server does it: every page carries the first page's snapshot resourceVersion.
      const token = url.searchParams.get('continue');
      const [start, snapshot] = token ? token.split(':').map(Number) as [number, number] : [0, this.rv];
      const end = Math.min(items.length, start + this.pageSize);
      return sendJson(res, { kind: 'StatefulSetList', apiVersion: 'apps/v1',
        metadata: { resourceVersion: String(snapshot), ...(end < items.length ? { continue: `${end}:${snapshot}` } : {}) }, items: items.slice(start, end) });
    }
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    this.watchFrom.push(String(from));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders(); // a real API server answers a watch at once, events follow
    if (this.endlessWatch) {
      const chunk = `{"type":"ADDED","object":{"metadata":{"name":"${'x'.repeat(64 * 1024)}`;
      const pump = () => {
        while (this.endlessSent < 640 * 1024 * 1024) {
          this.endlessSent += chunk.length;
          if (!res.write(chunk)) { res.once('drain', pump); return; }
        }
        res.end();
      };
      pump();
      return;
    }
    if (from < this.compactedBelow) {
      // What a real API server does: 200, one ERROR event carrying a 410 Status, then close.
      res.end(`${JSON.stringify({ type: 'ERROR', object: JSON.parse(statusBody(410, 'Expired', `too old resource version: ${from} (${this.compactedBelow})`)) })}\n`);
      return;
    }
    (res as any).selector = selector;
    for (const e of this.history) {
      if (e.rv > from && this.matches(e.object, selector)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
    this.watches.add(res);
    res.on('close', () => this.watches.delete(res));
  };
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if (pred()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const names = (inf: Informer<V1StatefulSet>) => inf.list().map((s) => s.metadata?.name).sort();
// Backoff in tests: real waits, but tiny.
const fast = { sleep: (ms: number, signal?: AbortSignal) => sleep(Math.min(ms, 20), signal) };

describe('watch cache (informer)', () => {
  const cleanups: (() => unknown)[] = [];
  const dir = tempDir();
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function setup(): Promise<{ fake: FakeStatefulSets; cluster: Cluster; inf: Informer<V1StatefulSet>; changes: InformerChange<V1StatefulSet>[] }> {
    const fake = new FakeStatefulSets();
    fake.change('ADDED', 'alpha');
    fake.change('ADDED', 'unmanaged', false);
    fake.api = await startApi(fake.handle);
    cleanups.push(() => fake.api.close());
    const cluster = clusterFor(dir, { server: fake.api.url, context: 'sim' });
    const inf = createInformer<V1StatefulSet>(cluster, { resource: RESOURCES.statefulSets, labelSelector: SELECTOR }, fast);
    cleanups.push(() => inf.stop());
    const changes: InformerChange<V1StatefulSet>[] = [];
    cleanups.push(inf.onChange((c) => changes.push(c)));
    return { fake, cluster, inf, changes };
  }

  test('lists, then follows changes; only objects matching the label selector', async () => {
    const { fake, inf, changes } = await setup();
    assert.equal(inf.state, 'stopped');
    assert.deepEqual(inf.list(), [], 'nothing runs before start()');
    inf.start();
    assert.equal(inf.state, 'syncing');
    await waitFor('first list', () => inf.state === 'synced' && inf.list().length === 1);
    assert.deepEqual(names(inf), ['alpha']);
    assert.equal(inf.get('alpha')?.metadata?.resourceVersion, '2');
    assert.equal(inf.get('unmanaged'), undefined);
    assert.ok(fake.api.requests.every((r) => r.url.searchParams.get('labelSelector') === SELECTOR), 'list and watch both filtered');

    fake.change('ADDED', 'beta');
    fake.change('MODIFIED', 'alpha');
    fake.change('ADDED', 'other', false);
    fake.change('DELETED', 'beta');
    await waitFor('watch events', () => inf.get('alpha')?.metadata?.resourceVersion === '5' && changes.some((c) => c.type === 'delete'));
    assert.deepEqual(names(inf), ['alpha']);
    assert.deepEqual(changes.filter((c) => c.type !== 'state').map((c) => `${c.type} ${'object' in c ? c.object.metadata?.name : ''}`),
      ['add alpha', 'add beta', 'update alpha', 'delete beta']);
    assert.deepEqual(changes.filter((c) => c.type === 'state').map((c) => 'state' in c && c.state), ['syncing', 'synced']);
  });

  test('lists page by page (limit + continue), then watches from the list\'s resourceVersion', async () => {
    const { fake, inf } = await setup();
    for (const n of ['beta', 'gamma', 'delta', 'epsilon']) fake.change('ADDED', n);
    fake.pageSize = 2;
    inf.start();
    await waitFor('synced', () => inf.state === 'synced' && fake.watches.size === 1);
    assert.deepEqual(names(inf), ['alpha', 'beta', 'delta', 'epsilon', 'gamma']);
    assert.deepEqual(fake.listQueries.map((q) => [q.get('limit'), q.get('continue')]), [['500', null], ['500', '2:7'], ['500', '4:7']]);
    assert.ok(fake.listQueries.every((q) => q.get('labelSelector') === SELECTOR));
    assert.deepEqual(fake.watchFrom, ['7'], 'the watch starts at the list\'s snapshot');
    fake.change('ADDED', 'zeta');
    await waitFor('zeta', () => inf.get('zeta') !== undefined);
  });

  test('after the server ends a watch, it resumes from the last resourceVersion without relisting', async () => {
    const { fake, inf } = await setup();
    inf.start();
    await waitFor('synced', () => inf.state === 'synced' && fake.watches.size === 1);
    fake.change('ADDED', 'beta');
    await waitFor('beta', () => inf.get('beta') !== undefined);
    fake.endWatches();
    fake.change('ADDED', 'gamma'); // happens while no watch is open: must arrive by replay
    await waitFor('gamma', () => inf.get('gamma') !== undefined);
    assert.equal(fake.lists, 1, 'no relist');
    assert.deepEqual(fake.watchFrom, ['3', '4'], 'second watch starts at beta\'s resourceVersion');
    assert.equal(inf.state, 'synced');
  });

  test('a 410 (resource version too old) makes it relist, dropping what was deleted meanwhile', async () => {
    const { fake, inf, changes } = await setup();
    inf.start();
    await waitFor('synced', () => inf.state === 'synced' && fake.watches.size === 1);
    fake.change('ADDED', 'beta');
    await waitFor('beta', () => inf.get('beta') !== undefined);
    // While disconnected: beta is deleted, delta added, and the history is compacted past us.
    fake.compactedBelow = 100;
    fake.endWatches();
    await waitFor('410 and relist', () => fake.lists === 2);
    fake.objects.delete('beta');
    fake.compactedBelow = 0;
    // beta's deletion left no watch event (history compacted): only the next relist can notice it.
    fake.change('ADDED', 'delta');
    fake.compactedBelow = 1000;
    fake.endWatches();
    await waitFor('relist without beta', () => fake.lists === 3 && inf.get('beta') === undefined && inf.get('delta') !== undefined);
    fake.compactedBelow = 0;
    assert.deepEqual(names(inf), ['alpha', 'delta']);
    assert.ok(changes.some((c) => c.type === 'delete' && c.object.metadata?.name === 'beta'), 'views hear about the deletion');
    await waitFor('synced again', () => inf.state === 'synced');
  });

  test('server down: error state with the translated error, then back to synced when it returns', async () => {
    const { fake, inf } = await setup();
    inf.start();
    await waitFor('synced', () => inf.state === 'synced' && fake.watches.size === 1);
    const port = fake.api.port;
    const url = fake.api.url;
    await fake.api.close();
    // First the open watch is cut (UND_ERR_SOCKET), then reconnecting is refused.
    await waitFor('refused', () => inf.state === 'error' && inf.error?.message.includes('ECONNREFUSED') === true);
    assert.equal(inf.error?.code, 'Unreachable');
    assert.equal(inf.error?.message, `Cannot reach the API server ${url} of context "sim": the connection was refused (ECONNREFUSED).`);
    assert.deepEqual(names(inf), ['alpha'], 'the last known list stays visible');
    fake.change('ADDED', 'while-down');
    fake.api = await startApi(fake.handle, { port });
    await waitFor('recovered', () => inf.state === 'synced' && inf.get('while-down') !== undefined);
    assert.equal(inf.error, undefined);
    assert.equal(fake.lists, 1, 'resumed from the resourceVersion: no relist needed');
  });

  test('a 403 on the list is reported with the RBAC text and retried', async () => {
    let deny = true;
    const api = await startApi((req, res, url) => {
      if (deny) return sendStatus(res, 403, 'Forbidden', 'statefulsets.apps is forbidden: User "bob" cannot list resource "statefulsets" in API group "apps" in the namespace "devenv"');
      if (url.searchParams.get('watch') === 'true') { res.writeHead(200); res.flushHeaders(); return; }
      sendJson(res, { kind: 'StatefulSetList', metadata: { resourceVersion: '7' }, items: [] });
    });
    cleanups.push(() => api.close());
    const inf = createInformer<V1StatefulSet>(clusterFor(dir, { server: api.url, context: 'rbac' }), { resource: RESOURCES.statefulSets }, fast);
    cleanups.push(() => inf.stop());
    inf.start();
    await waitFor('error', () => inf.state === 'error');
    assert.equal(inf.error?.message, 'Permission denied on context "rbac": you (User "bob") may not list statefulsets.apps in namespace "devenv".');
    deny = false;
    await waitFor('synced after the grant', () => inf.state === 'synced');
  });

  test('stop() ends the watch and makes no further requests', async () => {
    const { fake, inf, changes } = await setup();
    inf.start();
    await waitFor('synced', () => inf.state === 'synced' && fake.watches.size === 1);
    inf.stop();
    assert.equal(inf.state, 'stopped');
    await waitFor('watch closed on the server', () => fake.watches.size === 0);
    const before = fake.api.requests.length;
    const seen = changes.length;
    fake.change('ADDED', 'after-stop');
    await sleep(100);
    assert.equal(fake.api.requests.length, before);
    assert.equal(changes.length, seen, 'no events after stop');
    assert.deepEqual(inf.list(), []);
    // And it can start again.
    inf.start();
    await waitFor('restarted', () => inf.state === 'synced' && inf.get('after-stop') !== undefined);
  });

  test('a watch event that never ends is refused at the cap (ResponseTooLarge), not buffered', async () => {
    const { fake, inf, changes } = await setup();
    fake.endlessWatch = true;
    inf.start();
    await waitFor('error state', () => inf.state === 'error', 60_000);
    const err = inf.error;
    inf.stop();
    assert.equal(err?.code, 'ResponseTooLarge', String(err?.message));
    assert.match(err!.message, /more than 64 MiB for one event of the watch of statefulsets\.apps in namespace "devenv"/);
    assert.ok(changes.some((c) => c.type === 'state' && c.state === 'error'));
    assert.ok(fake.endlessSent < 64 * 1024 * 1024 + 32 * 1024 * 1024, `server wrote ${Math.round(fake.endlessSent / 2 ** 20)} MiB`);
  });

  test('stop() while the first list is in flight starts no watch afterwards', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const fake = new FakeStatefulSets();
    const api = await startApi((req, res, url) => { void gate.then(() => fake.handle(req, res, url)); });
    fake.api = api;
    cleanups.push(() => api.close());
    const inf = createInformer<V1StatefulSet>(clusterFor(dir, { server: api.url, context: 'slow' }), { resource: RESOURCES.statefulSets }, fast);
    inf.start();
    await waitFor('list sent', () => api.requests.length === 1);
    inf.stop();
    release();
    await sleep(100);
    assert.equal(api.requests.filter((r) => r.url.searchParams.get('watch') === 'true').length, 0);
    assert.equal(inf.state, 'stopped');
  });
});
