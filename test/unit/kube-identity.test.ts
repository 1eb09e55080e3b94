// currentIdentity and Cluster.impersonating against a small HTTP server: the identity is the API
// server's; a server without SelfSubjectReview (404) falls back to the kubeconfig name and says so;
// a refused impersonation reads as such; Impersonate-User/Group ride on every request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Cluster } from '../../src/core/kube/cluster';
import { currentIdentity } from '../../src/core/kube/identity';
import { isTerrariumError } from '../../src/core/kube/errors';

let server: Server;
let url: string;
const seen: { method: string; path: string; headers: IncomingHttpHeaders }[] = [];
/** What the review answers, by the bearer token. */
const answers: Record<string, { status: number; body: unknown }> = {};

before(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (req.url === '/apis/authentication.k8s.io/v1/selfsubjectreviews' && req.method === 'POST') {
        const a = answers[token] ?? { status: 404, body: { kind: 'Status', message: 'the server could not find the requested resource' } };
        const imp = req.headers['impersonate-user'];
        const body = a.status === 201 && typeof imp === 'string'
          ? { kind: 'SelfSubjectReview', status: { userInfo: { username: imp, groups: [req.headers['impersonate-group'], 'system:authenticated'].filter(Boolean) } } }
          : a.body;
        res.writeHead(a.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function cluster(token: string, userEntry = 'root'): Cluster {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: userEntry, token }],
    contexts: [{ name: 'ctx', cluster: 'c', user: userEntry }],
    currentContext: 'ctx',
  });
  return new Cluster(kc, 'ctx', 'devenv');
}

describe('who the API server says we are', () => {
  test('the server\'s username and groups, not the kubeconfig user entry; asked once per cluster', async () => {
    answers.t1 = { status: 201, body: { kind: 'SelfSubjectReview', status: { userInfo: { username: 'oidc:https://idp#alice', groups: ['terrarium-users'] } } } };
    const c = cluster('t1', 'root');
    const before = seen.length;
    assert.deepEqual(await currentIdentity(c), { username: 'oidc:https://idp#alice', groups: ['terrarium-users'], source: 'api-server' });
    await currentIdentity(c.withNamespace('other'));
    assert.equal(seen.slice(before).filter((r) => r.path.includes('selfsubjectreviews')).length, 1, 'cached per KubeConfig');
  });

  test('a server without SelfSubjectReview: the kubeconfig name, with a note saying so', async () => {
    const me = await currentIdentity(cluster('t404', 'dev-user'));
    assert.equal(me.username, 'dev-user');
    assert.equal(me.source, 'kubeconfig');
    assert.match(me.note ?? '', /does not serve SelfSubjectReview.*"dev-user"/);
  });

  test('acting for someone: Impersonate-User (and the group) on every request; the server answers for them', async () => {
    answers.admin = { status: 201, body: {} };
    const asAlice = cluster('admin').impersonating('alice@example.com', { group: 'terrarium-users' });
    assert.equal(asAlice.impersonatedUser, 'alice@example.com');
    const me = await currentIdentity(asAlice);
    assert.equal(me.username, 'alice@example.com');
    const before = seen.length;
    await asAlice.core.listNamespacedPod({ namespace: 'devenv' });
    const list = seen.slice(before).find((r) => r.path.startsWith('/api/v1/namespaces/devenv/pods'))!;
    assert.equal(list.headers['impersonate-user'], 'alice@example.com');
    assert.equal(list.headers['impersonate-group'], 'terrarium-users');
    // The WebSocket path (exec, port-forward) builds its options with applyToHTTPSOptions.
    const wsOpts: { headers?: Record<string, string> } = {};
    await asAlice.kc.applyToHTTPSOptions(wsOpts as any);
    assert.equal(wsOpts.headers?.['Impersonate-User'], 'alice@example.com');
    assert.equal(wsOpts.headers?.['Impersonate-Group'], 'terrarium-users');
    // The original is untouched.
    const plain: { headers?: Record<string, string> } = {};
    await cluster('admin').kc.applyToHTTPSOptions(plain as any);
    assert.equal(plain.headers?.['Impersonate-User'], undefined);
  });

  test('a refused impersonation names the missing permission', async () => {
    answers.bob = { status: 403, body: { kind: 'Status', message: 'users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope' } };
    await assert.rejects(currentIdentity(cluster('bob').impersonating('alice')), (e: Error) =>
      isTerrariumError(e, 'Forbidden') && /may not act for "alice"/.test(e.message) && /cannot impersonate/.test(e.message) && /`impersonate` permission/.test((e as any).hint));
  });

  test('names that cannot travel in a header are refused before any request', () => {
    assert.throws(() => cluster('x').impersonating('alice\r\nX-Evil: 1'), /printable ASCII/);
  });
});
