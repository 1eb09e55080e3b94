// Lists are paged (limit + continue), select Terrarium's own objects by label, and stop reading a
// response that grows past the cap: against small real HTTP servers, through real client-node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { getEnvironment, listEnvironments, listSandboxes } from '../../src/core/devenv';
import { listClaims } from '../../src/core/devenv/claims';
import { TerrariumError } from '../../src/core/kube/errors';
import { listAllJson, LIST_PAGE_SIZE } from '../../src/core/kube/list';
import { getJson, MAX_RESPONSE_BYTES } from '../../src/core/kube/request';
import { readVso } from '../../src/core/secrets/vsoResources';
import { clusterFor, sendJson, sendStatus, startApi, tempDir, writeKubeconfig, type TestApi } from './kube-testkit';

type Obj = Record<string, any>;
const NS = 'devenv';
const labels = (env: string) => ({ 'app.kubernetes.io/name': 'terrarium', 'app.kubernetes.io/managed-by': 'terrarium', 'terrarium.dev/environment': env });
const sts = (name: string, replicas: number): Obj => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: NS, labels: labels(name) },
  spec: { replicas, selector: { matchLabels: { 'app.kubernetes.io/name': 'terrarium', 'terrarium.dev/environment': name } },
    template: { spec: { containers: [{ name: 'devenv', image: 'img' }] } } },
});
const pod = (env: string, i: number): Obj => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: `${env}-${i}`, namespace: NS, labels: labels(env) },
  spec: { containers: [{ name: 'devenv', image: 'img' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});
const pvc = (env: string, i: number): Obj => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: `workspace-${env}-${i}`, namespace: NS, labels: labels(env) },
  spec: {}, status: { phase: 'Bound' },
});

interface ListCall { path: string; query: URLSearchParams }

/**
 * Collections served the way the API server chunks them: at most `pageSize` items per response
 * (fewer than `limit` is allowed), a continue token while more remain, the same resourceVersion on
 * every page. `expireOnce` answers the first continue request with 410 Expired, as after 5 minutes.
 */
class PagedApi {
  collections = new Map<string, Obj[]>();
  calls: ListCall[] = [];
  pageSize = 2;
  expireOnce = false;

  handle = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    const slash = url.pathname.lastIndexOf('/');
    const one = this.collections.get(url.pathname.slice(0, slash))?.find((o) => o.metadata.name === url.pathname.slice(slash + 1));
    if (one) return sendJson(res, one);
    const items = this.collections.get(url.pathname);
    if (!items || req.method !== 'GET') return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    this.calls.push({ path: url.pathname, query: url.searchParams });
    const token = url.searchParams.get('continue');
    if (token && this.expireOnce) {
      this.expireOnce = false;
      return sendStatus(res, 410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
    }
    const sel = url.searchParams.get('labelSelector');
    const want = sel ? sel.split(',').map((kv) => kv.split('=') as [string, string]) : [];
    const matching = items.filter((o) => want.every(([k, v]) => o.metadata?.labels?.[k] === v));
    const start = token ? Number(Buffer.from(token, 'base64').toString()) : 0;
    const limit = Number(url.searchParams.get('limit') ?? Infinity);
    const end = Math.min(matching.length, start + Math.min(limit, this.pageSize));
    const more = end < matching.length;
    sendJson(res, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '42', ...(more ? { continue: Buffer.from(String(end)).toString('base64') } : {}) },
      items: matching.slice(start, end) });
  };

  callsTo(p: string): ListCall[] { return this.calls.filter((c) => c.path === p); }
}

const STS = `/apis/apps/v1/namespaces/${NS}/statefulsets`;
const PODS = `/api/v1/namespaces/${NS}/pods`;
const PVCS = `/api/v1/namespaces/${NS}/persistentvolumeclaims`;
const EVENTS = `/api/v1/namespaces/${NS}/events`;

describe('paged lists', () => {
  let api: TestApi;
  let fake: PagedApi;
  const dir = tempDir('terrarium-paging-');
  before(async () => { api = await startApi((req, res, url) => fake.handle(req, res, url)); });
  after(async () => { await api.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  function seed(): PagedApi {
    fake = new PagedApi();
    fake.collections.set(STS, ['a', 'b', 'c', 'd', 'e'].map((n) => sts(n, 1)));
    fake.collections.set(PODS, [pod('a', 0), pod('b', 0), pod('c', 0), pod('d', 0), pod('e', 0), pod('web', 0), pod('web', 1), pod('web', 2)]);
    fake.collections.set(PVCS, [
      ...[0, 1, 2, 3].map((i) => pvc('web', i)),
      // Someone else's PVCs in the namespace: never selected.
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: NS, labels: { app: 'db' } }, spec: {} },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'workspace-web-9', namespace: NS }, spec: {} },
    ]);
    fake.collections.set(EVENTS, []);
    return fake;
  }

  test('typed lists send limit, follow every continue token and join the pages', async () => {
    seed();
    const cluster = clusterFor(dir, { server: api.url, context: 'paged' });
    const envs = await listEnvironments(cluster);
    assert.deepEqual(envs.map((e) => e.name), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(envs.map((e) => e.ready), [1, 1, 1, 1, 1], 'pods from every page count');
    const stsCalls = fake.callsTo(STS);
    assert.equal(stsCalls.length, 3, '5 objects in pages of 2');
    for (const c of stsCalls) assert.equal(c.query.get('limit'), String(LIST_PAGE_SIZE));
    assert.deepEqual(stsCalls.map((c) => c.query.get('continue')), [null, 'Mg==', 'NA==']);
    assert.equal(fake.callsTo(PODS).length, 4, '8 pods in pages of 2');
  });

  test('workspaces are selected by the labels the StatefulSet controller gives them, across pages', async () => {
    seed();
    fake.collections.set(STS, [sts('web', 3)]);
    const cluster = clusterFor(dir, { server: api.url, context: 'paged' });
    const sandboxes = await listSandboxes(cluster, 'web');
    assert.deepEqual(sandboxes.map((s) => s.name), ['web-0', 'web-1', 'web-2', 'web-3']);
    const pvcCalls = fake.callsTo(PVCS);
    assert.ok(pvcCalls.length >= 2);
    for (const c of pvcCalls) {
      assert.equal(c.query.get('labelSelector'), 'app.kubernetes.io/name=terrarium,terrarium.dev/environment=web');
      assert.equal(c.query.get('limit'), String(LIST_PAGE_SIZE));
    }
    fake.calls = [];
    const claims = await listClaims(cluster, 'web');
    assert.deepEqual(claims.map((c) => c.sandbox), ['web-0', 'web-1', 'web-2', 'web-3']);
    for (const c of [...fake.callsTo(PVCS), ...fake.callsTo(PODS)]) {
      assert.equal(c.query.get('labelSelector'), 'app.kubernetes.io/name=terrarium,terrarium.dev/environment=web');
      assert.equal(c.query.get('limit'), String(LIST_PAGE_SIZE));
    }
  });

  test('raw JSON lists page too (the VSO objects of the secrets view)', async () => {
    seed();
    const vss = `/apis/secrets.hashicorp.com/v1beta1/namespaces/${NS}/vaultstaticsecrets`;
    fake.collections.set(vss, [1, 2, 3, 4, 5].map((i) => ({ metadata: { name: `s${i}`, namespace: NS }, spec: {} })));
    for (const p of ['vaultdynamicsecrets', 'vaultpkisecrets', 'vaultauths', 'vaultconnections']) {
      fake.collections.set(`/apis/secrets.hashicorp.com/v1beta1/namespaces/${NS}/${p}`, []);
    }
    const cluster = clusterFor(dir, { server: api.url, context: 'paged' });
    const vso = await readVso(cluster);
    assert.equal(vso.status, 'installed');
    assert.deepEqual(vso.secrets.map((s) => s.metadata.name), ['s1', 's2', 's3', 's4', 's5']);
    assert.equal(fake.callsTo(vss).length, 3);
    for (const c of fake.callsTo(vss)) assert.equal(c.query.get('limit'), String(LIST_PAGE_SIZE));
  });

  test('a continue token that expired (410) restarts the list from the first page, without duplicates', async () => {
    seed();
    fake.expireOnce = true;
    const cluster = clusterFor(dir, { server: api.url, context: 'paged' });
    const res = await listAllJson<Obj>(cluster, { verb: 'list', resource: 'statefulsets.apps' }, STS);
    assert.deepEqual(res.items.map((o) => o.metadata.name), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(res.resourceVersion, '42');
    assert.deepEqual(fake.callsTo(STS).map((c) => c.query.get('continue')), [null, 'Mg==', null, 'Mg==', 'NA==']);
  });
});

/**
 * A list that never ends: the StatefulSet list body streams objects until the client hangs up
 * (bounded at `maxBytes` so a client without a cap still finishes). `sent` is what was written.
 */
async function endlessServer(maxBytes: number, streamPath = STS): Promise<{ api: TestApi; sent: () => number; done: Promise<void> }> {
  let sent = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  const filler = 'x'.repeat(900);
  const api = await startApi((req, res, url) => {
    if (url.pathname === streamPath) {
      res.writeHead(200, { 'content-type': 'application/json' });
      let n = 0;
      const head = '{"kind":"StatefulSetList","apiVersion":"apps/v1","metadata":{"resourceVersion":"1"},"items":[';
      res.write(head);
      sent += head.length;
      const chunkOf = () => {
        const parts: string[] = [];
        for (let i = 0; i < 64; i++) parts.push(`${n++ ? ',' : ''}{"metadata":{"name":"s${n}","annotations":{"pad":"${filler}"}}}`);
        return parts.join('');
      };
      const pump = () => {
        while (sent < maxBytes) {
          const c = chunkOf();
          sent += c.length;
          if (!res.write(c)) { res.once('drain', pump); return; }
        }
        res.end(']}');
      };
      res.on('close', finish);
      pump();
      return;
    }
    if (url.pathname === PODS) return sendJson(res, { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
    sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
  });
  return { api, sent: () => sent, done };
}

/** Runs the CLI from source in its own process; its peak RSS comes from a preload that reports it on exit. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; maxRssMiB: number }> {
  const preload = path.join(dir(), 'maxrss.cjs');
  fs.writeFileSync(preload, "process.on('exit', () => { process.stderr.write(`\\nmaxrss_kb=${process.resourceUsage().maxRSS}\\n`); });\n");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--require', preload, path.join('src', 'cli', 'main.ts'), ...args],
      { cwd: path.resolve(__dirname, '..', '..'), env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const kb = Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ code, stderr, maxRssMiB: kb / 1024 });
    });
  });
}
let tmp: string | undefined;
const dir = () => (tmp ??= tempDir('terrarium-endless-'));

describe('response size cap', () => {
  after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

  test('an endless list fails with a clear ResponseTooLarge, with bounded memory (CLI, separate process)', { timeout: 180_000 }, async (t) => {
    const endless = await endlessServer(640 * 1024 * 1024);
    const small = await startApi((req, res, url) => {
      if (url.pathname === STS || url.pathname === PODS) return sendJson(res, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
      sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    });
    try {
      const env = { PATH: process.env.PATH, HOME: dir(), XDG_STATE_HOME: dir(), NODE_OPTIONS: '' };
      const args = (server: string, name: string) => ['env', 'list', '--kubeconfig',
        writeKubeconfig(dir(), { server, skipTLS: true, context: name }, `${name}.yaml`), '--namespace', NS];
      // The same command against a small list: the baseline the endless one is measured against.
      const base = await runCli(args(small.url, 'small'), env);
      assert.equal(base.code, 0, base.stderr);
      const r = await runCli(args(endless.api.url, 'endless'), env);
      await endless.done;
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /more than 64 MiB for the list of statefulsets\.apps in namespace "devenv"/, r.stderr.slice(0, 2000));
      assert.match(r.stderr, /ignores `limit`.*kubectl get --raw '\/apis\/apps\/v1\/namespaces\/devenv\/statefulsets\?limit=1'/s);
      // It stopped soon after the cap, not at the server's 640 MiB.
      assert.ok(endless.sent() < MAX_RESPONSE_BYTES + 32 * 1024 * 1024, `server wrote ${Math.round(endless.sent() / 2 ** 20)} MiB`);
      const growth = r.maxRssMiB - base.maxRssMiB;
      t.diagnostic(`server wrote ${(endless.sent() / 2 ** 20).toFixed(1)} MiB; peak RSS ${r.maxRssMiB.toFixed(0)} MiB vs ${base.maxRssMiB.toFixed(0)} MiB for a small list`);
      assert.ok(Number.isFinite(growth) && growth < 300, `peak RSS ${Math.round(r.maxRssMiB)} MiB vs ${Math.round(base.maxRssMiB)} MiB for a small list`);
    } finally {
      await endless.api.close();
      await small.close();
    }
  });

  test('getJson refuses a single object larger than the cap, naming it', async () => {
    const big = 'y'.repeat(1024 * 1024);
    const api = await startApi((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"metadata":{"name":"huge"},"data":{');
      let i = 0;
      const pump = () => {
        while (i < 80) { if (!res.write(`${i++ ? ',' : ''}"k${i}":"${big}"`)) { res.once('drain', pump); return; } }
        res.end('}}');
      };
      pump();
    });
    try {
      const cluster = clusterFor(dir(), { server: api.url, context: 'one' });
      await assert.rejects(getJson(cluster.kc, `/api/v1/namespaces/${NS}/secrets/huge`),
        (e: unknown) => e instanceof TerrariumError && e.code === 'ResponseTooLarge' && /secrets "huge" in namespace "devenv"/.test(e.message) && !!e.hint);
    } finally {
      await api.close();
    }
  });

  test('typed single-object reads through cluster.call are capped too', async () => {
    const endless = await endlessServer(640 * 1024 * 1024, `${STS}/web`);
    try {
      const cluster = clusterFor(dir(), { server: endless.api.url, context: 'one-sts' });
      await assert.rejects(getEnvironment(cluster, 'web'),
        (e: unknown) => e instanceof TerrariumError && e.code === 'ResponseTooLarge' && /statefulsets\.apps "web" in namespace "devenv"/.test(e.message));
      await endless.done;
      assert.ok(endless.sent() < MAX_RESPONSE_BYTES + 32 * 1024 * 1024, `server wrote ${Math.round(endless.sent() / 2 ** 20)} MiB`);
    } finally {
      await endless.api.close();
    }
  });

  test('all pages of one list share the cap: a server that pages forever is stopped', async () => {
    const fake = new PagedApi();
    fake.pageSize = 1;
    // Each page ~1 MiB; 100 of them pass 64 MiB.
    fake.collections.set(EVENTS, Array.from({ length: 100 }, (_, i) => ({ metadata: { name: `e${i}` }, type: 'Warning', message: 'z'.repeat(1024 * 1024) })));
    const api = await startApi(fake.handle);
    try {
      const cluster = clusterFor(dir(), { server: api.url, context: 'pages' });
      await assert.rejects(listAllJson(cluster, { verb: 'list', resource: 'events' }, EVENTS),
        (e: unknown) => e instanceof TerrariumError && e.code === 'ResponseTooLarge' && /more than 64 MiB for the list of events/.test(e.message));
      assert.ok(fake.calls.length < 70, `${fake.calls.length} pages read`);
    } finally {
      await api.close();
    }
  });
});
