// Environment operations against a small in-memory API stand-in (real HTTP, real client-node):
// which requests are sent, with which patch types, and what a person sees when something is off.
// The emulator-backed integration test covers the StatefulSet controller's side.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import { TerrariumError } from '../../src/core/kube/errors';
import type { Cluster } from '../../src/core/kube/cluster';
import {
  createEnvironment, deleteEnvironment, getEnvironment, listEnvironments, listSandboxes, restartSandbox, scaleEnvironment,
  startEnvironment, stopEnvironment,
} from '../../src/core/devenv';
import { clusterFor, sendJson, sendStatus, startApi, tempDir, type TestApi } from './kube-testkit';

type Obj = Record<string, any>;
interface Sent { method: string; path: string; query: URLSearchParams; contentType?: string; body?: Obj }

/** Objects by "<collection path>/<name>"; enough REST for the operations under test. */
class FakeApi {
  objects = new Map<string, Obj>();
  sent: Sent[] = [];
  forbidNamespaces = false;
  rv = 1;

  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, raw: string): void {
    const contentType = req.headers['content-type'];
    const body = raw ? JSON.parse(raw) as Obj : undefined;
    this.sent.push({ method: req.method!, path: url.pathname, query: url.searchParams, contentType, body });
    const m = /^\/(?:api\/v1|apis\/[^/]+\/v1)(?:\/namespaces\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    const sub = m[4];
    // /api/v1/namespaces/<name> is the Namespace itself.
    const [ns, plural, name] = m[2] ? [m[1], m[2], m[3]] : [undefined, 'namespaces', m[1]];
    const coll = `${ns ?? ''}/${plural}`;
    const key = `${coll}/${name}`;
    const existing = this.objects.get(key);
    if (plural === 'namespaces' && this.forbidNamespaces) {
      return sendStatus(res, 403, 'Forbidden', `namespaces "${name}" is forbidden: User "bob" cannot patch resource "namespaces" in API group "" at the cluster scope`);
    }
    const notFound = () => sendStatus(res, 404, 'NotFound', `${plural} "${name}" not found`, { name, kind: plural });
    switch (req.method) {
      case 'GET': {
        if (!name) {
          const sel = url.searchParams.get('labelSelector');
          const want = sel ? sel.split(',').map((kv) => kv.split('=') as [string, string]) : [];
          const items = [...this.objects.entries()].filter(([k]) => k.startsWith(`${coll}/`)).map(([, o]) => o)
            .filter((o) => want.every(([k, v]) => o.metadata?.labels?.[k] === v));
          return sendJson(res, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
        }
        return existing ? sendJson(res, existing) : notFound();
      }
      case 'POST': {
        const n = body!.metadata.name as string;
        if (this.objects.has(`${coll}/${n}`)) return sendStatus(res, 409, 'AlreadyExists', `${plural} "${n}" already exists`, { name: n, kind: plural });
        const obj = structuredClone(body!);
        if (obj.stringData) { obj.data = Object.fromEntries(Object.entries(obj.stringData).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')])); delete obj.stringData; }
        obj.metadata.resourceVersion = String(++this.rv);
        this.objects.set(`${coll}/${n}`, obj);
        return sendJson(res, obj, 201);
      }
      case 'PATCH': {
        if (sub === 'scale') {
          if (!existing) return notFound();
          existing.spec.replicas = body!.spec.replicas;
          return sendJson(res, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name }, spec: { replicas: existing.spec.replicas } });
        }
        if (!existing && contentType !== 'application/apply-patch+yaml') return notFound();
        const merged = mergeDeep(existing ?? {}, body!);
        merged.metadata.resourceVersion = String(++this.rv);
        merged.metadata.generation = (existing?.metadata?.generation ?? 0) + 1;
        this.objects.set(key, merged);
        return sendJson(res, merged);
      }
      case 'DELETE': {
        if (!existing) return notFound();
        this.objects.delete(key);
        return sendJson(res, { kind: 'Status', apiVersion: 'v1', status: 'Success', metadata: {} });
      }
    }
    sendStatus(res, 405, 'MethodNotAllowed', 'method not allowed');
  }

  names(coll: string): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(`${coll}/`)).map((k) => k.slice(coll.length + 1)).sort();
  }
}

function mergeDeep(a: Obj, b: Obj): Obj {
  const out: Obj = structuredClone(a);
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' && !Array.isArray(out[k]) ? mergeDeep(out[k], v) : structuredClone(v);
  }
  return out;
}

const podObj = (name: string, env: string, ready = true, managed = true): Obj => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'devenv', uid: `uid-${name}`, labels: { 'app.kubernetes.io/name': 'terrarium', 'terrarium.dev/environment': env, ...(managed ? { 'app.kubernetes.io/managed-by': 'terrarium' } : {}) } },
  spec: { containers: [{ name: 'devenv', image: 'img' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [{ name: 'devenv', ready, restartCount: 0, image: 'img', imageID: '', state: { running: {} } }] },
});
/** A PVC as the StatefulSet controller makes it: workspace-<env>-<n> carries the selector's labels. */
const pvcObj = (name: string): Obj => {
  const env = /^workspace-(.+)-\d+$/.exec(name)?.[1];
  const labels = env ? { 'app.kubernetes.io/name': 'terrarium', 'terrarium.dev/environment': env } : undefined;
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'devenv', labels }, spec: {}, status: { phase: 'Bound' } };
};

const legacyHostKeySecret = () => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-hostkey', namespace: 'devenv' },
  data: { ssh_host_ed25519_key: Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----').toString('base64'), 'ssh_host_ed25519_key.pub': Buffer.from('ssh-ed25519 AAAA').toString('base64') } });

describe('environment operations', () => {
  let api: TestApi;
  let fake: FakeApi;
  let cluster: Cluster;
  let dir: string;

  before(async () => {
    dir = tempDir('terrarium-devenv-');
    api = await startApi((req, res, url) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => { raw += c; });
      req.on('end', () => fake.handle(req, res, url, raw));
    });
    cluster = clusterFor(dir, { server: api.url, context: 'kind-dev' });
  });
  after(async () => { await api.close(); fs.rmSync(dir, { recursive: true, force: true }); });
  beforeEach(() => { fake = new FakeApi(); });

  const requestsFor = (pred: (s: Sent) => boolean) => fake.sent.filter(pred);

  test('invalid names are rejected before any request', async () => {
    const ops: (() => Promise<unknown>)[] = [
      () => createEnvironment(cluster, { name: 'Bad_Name' }),
      () => createEnvironment(cluster, { name: 'web', replicas: 21 }),
      () => createEnvironment(cluster, { name: 'web', replicas: 9 }, { maxReplicas: 8 }),
      () => scaleEnvironment(cluster, 'web', -1),
      () => scaleEnvironment(cluster, '../etc', 2),
      () => stopEnvironment(cluster, 'UPPER'),
      () => startEnvironment(cluster, 'web', 1000),
      () => restartSandbox(cluster, 'web'),
      () => deleteEnvironment(cluster, 'a b', { deleteWorkspaces: true }),
      () => getEnvironment(cluster, ''),
      () => listSandboxes(cluster, 'Nope!'),
    ];
    for (const op of ops) {
      await assert.rejects(op(), (e: unknown) => e instanceof TerrariumError && e.code === 'InvalidInput');
    }
    assert.equal(api.requests.length, 0);
  });

  test('create applies every object server-side as field manager "terrarium"; no host-key Secret (each sandbox makes its own)', async () => {
    const lines: string[] = [];
    const env = await createEnvironment(cluster, { name: 'web', replicas: 3 }, { log: (l) => lines.push(l) });
    assert.equal(env.name, 'web');
    assert.equal(env.desired, 3);
    const applies = requestsFor((s) => s.method === 'PATCH');
    assert.deepEqual(applies.map((s) => s.path), [
      '/api/v1/namespaces/devenv',
      '/api/v1/namespaces/devenv/limitranges/terrarium-defaults',
      '/api/v1/namespaces/devenv/services/web',
      '/apis/networking.k8s.io/v1/namespaces/devenv/networkpolicies/web',
      '/apis/apps/v1/namespaces/devenv/statefulsets/web',
    ]);
    for (const s of applies) {
      assert.equal(s.contentType, 'application/apply-patch+yaml');
      assert.equal(s.query.get('fieldManager'), 'terrarium');
      assert.equal(s.query.get('force'), 'true');
    }
    assert.deepEqual(fake.names('devenv/secrets'), [], 'no Secret holds a host private key');
    assert.deepEqual(requestsFor((s) => s.path.includes('/secrets')), [], 'not a request about Secrets');
    assert.equal(env.hostPublicKey, undefined, 'no environment-wide host key');
    assert.equal(fake.objects.get('/namespaces/devenv')!.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
  });

  test('creating an existing environment is AlreadyExists; update re-applies and keeps live replicas; an older environment\'s host-key Secret is left alone', async () => {
    await createEnvironment(cluster, { name: 'web', replicas: 2 });
    fake.objects.set('devenv/secrets/web-hostkey', legacyHostKeySecret());
    const secretBefore = structuredClone(fake.objects.get('devenv/secrets/web-hostkey'));
    await assert.rejects(createEnvironment(cluster, { name: 'web' }), (e: unknown) =>
      e instanceof TerrariumError && e.code === 'AlreadyExists' && e.message === 'An environment named "web" already exists in namespace "devenv" (context "kind-dev").');
    await scaleEnvironment(cluster, 'web', 4);
    const env = await createEnvironment(cluster, { name: 'web', image: 'example.com/dev:2' }, { update: true });
    assert.deepEqual(fake.objects.get('devenv/secrets/web-hostkey'), secretBefore);
    assert.equal(env.desired, 4);
    assert.equal(env.image, 'example.com/dev:2');
    assert.deepEqual(requestsFor((s) => s.path.includes('/secrets')), [], 'the Secret is neither read nor written');
  });

  test('a half-finished create (Service made, StatefulSet not) completes when run again', async () => {
    await createEnvironment(cluster, { name: 'web' });
    fake.objects.delete('devenv/statefulsets/web');
    const env = await createEnvironment(cluster, { name: 'web' });
    assert.ok(fake.objects.has('devenv/statefulsets/web'));
    assert.equal(env.name, 'web');
  });

  test('without permission on namespaces, create continues in the existing namespace and says so', async () => {
    fake.forbidNamespaces = true;
    const lines: string[] = [];
    await createEnvironment(cluster, { name: 'web' }, { log: (l) => lines.push(l) });
    assert.ok(fake.objects.has('devenv/statefulsets/web'));
    assert.ok(lines.some((l) => /Could not apply the namespace "devenv"/.test(l)), lines.join('\n'));
  });

  test('scale uses the scale subresource with a merge patch; stop remembers the count; start restores it', async () => {
    await createEnvironment(cluster, { name: 'web', replicas: 3 });
    fake.sent = [];
    await scaleEnvironment(cluster, 'web', 5);
    const scale = requestsFor((s) => s.method === 'PATCH' && s.path.endsWith('/scale'));
    assert.equal(scale.length, 1);
    assert.equal(scale[0]!.path, '/apis/apps/v1/namespaces/devenv/statefulsets/web/scale');
    assert.equal(scale[0]!.contentType, 'application/merge-patch+json');
    assert.deepEqual(scale[0]!.body, { spec: { replicas: 5 } });

    const stopped = await stopEnvironment(cluster, 'web');
    assert.equal(stopped.status, 'Stopped');
    assert.equal(stopped.desired, 0);
    assert.equal(fake.objects.get('devenv/statefulsets/web')!.metadata.annotations['terrarium.dev/last-replicas'], '5');
    const started = await startEnvironment(cluster, 'web');
    assert.equal(started.desired, 5);
    assert.equal((await startEnvironment(cluster, 'web', 2)).desired, 2);
    assert.equal((await scaleEnvironment(cluster, 'web', 0)).status, 'Stopped');
    assert.equal(fake.objects.get('devenv/statefulsets/web')!.metadata.annotations['terrarium.dev/last-replicas'], '2');
  });

  test('operations on a missing environment say which environment and where', async () => {
    await assert.rejects(scaleEnvironment(cluster, 'ghost', 2), (e: unknown) =>
      e instanceof TerrariumError && e.code === 'NotFound' && e.message === 'There is no environment "ghost" in namespace "devenv" (context "kind-dev").');
    await assert.rejects(deleteEnvironment(cluster, 'ghost', { deleteWorkspaces: false }), (e: unknown) => e instanceof TerrariumError && e.code === 'NotFound');
    assert.ok(!fake.sent.some((s) => s.method === 'PATCH' && s.path.endsWith('/scale')));
  });

  test('a StatefulSet Terrarium does not manage is left alone', async () => {
    fake.objects.set('devenv/statefulsets/db', { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'devenv', labels: {} }, spec: { replicas: 1 } });
    await assert.rejects(createEnvironment(cluster, { name: 'db' }), (e: unknown) => e instanceof TerrariumError && e.code === 'AlreadyExists' && /does not manage/.test(e.message));
    await assert.rejects(scaleEnvironment(cluster, 'db', 3), (e: unknown) => e instanceof TerrariumError && /not managed by Terrarium/.test(e.message));
    await assert.rejects(deleteEnvironment(cluster, 'db', { deleteWorkspaces: true }), TerrariumError);
    assert.ok(fake.objects.has('devenv/statefulsets/db'));
  });

  test('restart deletes only the sandbox\'s pod', async () => {
    fake.objects.set('devenv/pods/web-1', podObj('web-1', 'web'));
    fake.objects.set('devenv/pods/other-0', podObj('other-0', 'other', true, false));
    await restartSandbox(cluster, 'web-1');
    assert.ok(!fake.objects.has('devenv/pods/web-1'));
    await assert.rejects(restartSandbox(cluster, 'other-0'), (e: unknown) => e instanceof TerrariumError && /not a Terrarium sandbox/.test(e.message));
    assert.ok(fake.objects.has('devenv/pods/other-0'));
    await assert.rejects(restartSandbox(cluster, 'web-7'), (e: unknown) =>
      e instanceof TerrariumError && e.code === 'NotFound' && /"web-7" has no pod/.test(e.message) && /Start or scale up/.test(e.hint ?? ''));
  });

  test('delete keeps workspaces unless asked, and removes the Service, NetworkPolicy and an older environment\'s host-key Secret', async () => {
    await createEnvironment(cluster, { name: 'web', replicas: 3 });
    fake.objects.set('devenv/secrets/web-hostkey', legacyHostKeySecret());
    await createEnvironment(cluster, { name: 'web-1' });
    for (const n of ['workspace-web-0', 'workspace-web-1', 'workspace-web-2', 'workspace-web-10', 'workspace-web-1-0', 'data']) fake.objects.set(`devenv/persistentvolumeclaims/${n}`, pvcObj(n));
    const kept = await deleteEnvironment(cluster, 'web', { deleteWorkspaces: false });
    assert.deepEqual(kept, { keptWorkspaces: ['workspace-web-0', 'workspace-web-1', 'workspace-web-2', 'workspace-web-10'], deletedWorkspaces: [] });
    for (const k of ['devenv/statefulsets/web', 'devenv/services/web', 'devenv/networkpolicies/web', 'devenv/secrets/web-hostkey']) assert.ok(!fake.objects.has(k), k);
    assert.equal(fake.names('devenv/persistentvolumeclaims').length, 6);
    assert.ok(fake.objects.has('devenv/statefulsets/web-1'), 'another environment is untouched');

    const gone = await deleteEnvironment(cluster, 'web', { deleteWorkspaces: true });
    assert.deepEqual(gone.deletedWorkspaces, ['workspace-web-0', 'workspace-web-1', 'workspace-web-2', 'workspace-web-10']);
    assert.deepEqual(fake.names('devenv/persistentvolumeclaims'), ['data', 'workspace-web-1-0']);
    const del = requestsFor((s) => s.method === 'DELETE' && s.path.endsWith('/statefulsets/web'));
    assert.equal(del.length, 1);
  });

  test('lists environments and sandboxes, including stopped ones with kept workspaces', async () => {
    await createEnvironment(cluster, { name: 'web', replicas: 2 });
    await createEnvironment(cluster, { name: 'api', replicas: 0 });
    fake.objects.set('devenv/pods/web-0', podObj('web-0', 'web'));
    fake.objects.set('devenv/pods/web-1', podObj('web-1', 'web', false));
    for (const n of ['workspace-web-0', 'workspace-web-1', 'workspace-web-2', 'workspace-api-0']) fake.objects.set(`devenv/persistentvolumeclaims/${n}`, pvcObj(n));
    const envs = await listEnvironments(cluster);
    assert.deepEqual(envs.map((e) => [e.name, e.status, e.ready, e.desired]), [['api', 'Stopped', 0, 0], ['web', 'Starting', 1, 2]]);
    const web = await listSandboxes(cluster, 'web');
    assert.deepEqual(web.map((s) => [s.name, s.status.phase]), [['web-0', 'Ready'], ['web-1', 'Starting'], ['web-2', 'Stopped']]);
    const all = await listSandboxes(cluster);
    assert.deepEqual(all.map((s) => s.name), ['api-0', 'web-0', 'web-1', 'web-2']);
    assert.equal((await getEnvironment(cluster, 'web')).ready, 1);
  });
});
