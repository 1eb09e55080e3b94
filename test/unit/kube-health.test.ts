import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { checkHealth, formatHealth } from '../../src/core/kube/health';
import { clusterFor, sendJson, sendStatus, startApi, tempDir, type Handler, type TestApi } from './kube-testkit';

const VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.2', platform: 'linux/amd64' };
const managed = (name: string) => ({ metadata: { name, namespace: 'devenv', labels: { 'app.kubernetes.io/managed-by': 'terrarium' } } });

describe('cluster health', () => {
  const dir = tempDir();
  const servers: TestApi[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  async function serve(handler: Handler): Promise<TestApi> {
    const api = await startApi(handler);
    servers.push(api);
    return api;
  }
  const healthy = (overrides: Record<string, (res: Parameters<Handler>[1]) => void> = {}): Handler => (req, res, url) => {
    const o = overrides[url.pathname];
    if (o) return o(res);
    if (url.pathname === '/version') return sendJson(res, VERSION);
    if (url.pathname === '/api/v1/namespaces/devenv') return sendJson(res, { kind: 'Namespace', metadata: { name: 'devenv' } });
    if (url.pathname === '/apis/apps/v1/namespaces/devenv/statefulsets') {
      assert.equal(url.searchParams.get('labelSelector'), 'app.kubernetes.io/managed-by=terrarium');
      return sendJson(res, { kind: 'StatefulSetList', metadata: { resourceVersion: '9' }, items: [managed('web'), managed('agents')] });
    }
    sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource', {});
  };

  test('a healthy cluster: every check ok, with version and environment count', async () => {
    const api = await serve(healthy());
    const report = await checkHealth(clusterFor(dir, { server: api.url, context: 'kind-dev' }));
    assert.equal(report.ok, true);
    assert.equal(report.serverVersion, 'v1.32.2');
    assert.equal(report.environments, 2);
    assert.deepEqual(formatHealth(report), [
      `Context "kind-dev" (${api.url}), namespace "devenv":`,
      `  ✓ Reachable: ${api.url} answers.`,
      '  ✓ Kubernetes v1.32.2.',
      '  ✓ Authenticated: the credentials of context "kind-dev" are accepted.',
      '  ✓ Namespace "devenv" exists.',
      '  ✓ 2 Terrarium environments in namespace "devenv".',
    ]);
  });

  test('unreachable: says so once, skips the rest, with the hint', async () => {
    const api = await serve(() => {});
    const url = api.url;
    await api.close();
    const report = await checkHealth(clusterFor(dir, { server: url, context: 'down' }));
    assert.equal(report.ok, false);
    assert.equal(report.reachable, false);
    assert.equal(report.checks[0]?.error?.code, 'Unreachable');
    assert.equal(report.error, report.checks[0]?.error);
    assert.deepEqual(formatHealth(report), [
      `Context "down" (${url}), namespace "devenv":`,
      `  ✗ Not reachable: Cannot reach the API server ${url} of context "down": the connection was refused (ECONNREFUSED).`,
      '    Check that the cluster is running and that the server URL in your kubeconfig is right (is the VPN, tunnel or local cluster up?).',
      '  - Skipped: the API server is not reachable.',
      '  - Skipped: the API server is not reachable.',
      '  - Skipped: the API server is not reachable.',
      '  - Skipped: the API server is not reachable.',
    ]);
  });

  test('expired credentials: reachable, not authenticated', async () => {
    const api = await serve((_req, res) => sendStatus(res, 401, 'Unauthorized', 'Unauthorized'));
    const report = await checkHealth(clusterFor(dir, { server: api.url, context: 'eks' }));
    assert.equal(report.ok, false);
    assert.equal(report.reachable, true);
    assert.equal(report.authenticated, false);
    assert.deepEqual(report.checks.map((c) => `${c.name}:${c.status}`), ['reachable:ok', 'version:skipped', 'authenticated:error', 'namespace:skipped', 'resources:skipped']);
    assert.equal(report.checks[2]?.line, `Not authenticated: The API server ${api.url} rejected the credentials of context "eks" (401 Unauthorized): they are missing, invalid or expired.`);
  });

  test('anonymous (no credentials): a 403 for system:anonymous is reported as not authenticated', async () => {
    const api = await serve(healthy({
      '/api/v1/namespaces/devenv': (res) => sendStatus(res, 403, 'Forbidden', 'namespaces "devenv" is forbidden: User "system:anonymous" cannot get resource "namespaces" in API group "" in the namespace "devenv"'),
    }));
    const report = await checkHealth(clusterFor(dir, { server: api.url, context: 'anon' }));
    assert.equal(report.authenticated, false);
    assert.equal(report.checks[2]?.line, 'Not authenticated: The API server treats context "anon" as anonymous: its kubeconfig user sends no credentials.');
  });

  test('namespace missing: a warning, not a failure, and no environments', async () => {
    const api = await serve(healthy({ '/api/v1/namespaces/devenv': (res) => sendStatus(res, 404, 'NotFound', 'namespaces "devenv" not found', { name: 'devenv', kind: 'namespaces' }) }));
    const report = await checkHealth(clusterFor(dir, { server: api.url, context: 'fresh' }));
    assert.equal(report.ok, true);
    assert.equal(report.namespaceExists, false);
    assert.equal(report.environments, 0);
    assert.deepEqual(formatHealth(report).slice(4), [
      '  ! Namespace "devenv" does not exist yet; creating an environment creates it.',
      '  ✓ No Terrarium environments in namespace "devenv" yet.',
    ]);
  });

  test('a namespaced Role without namespace access: namespace unknown, environments still counted; a denied list is an error', async () => {
    const api = await serve(healthy({
      '/api/v1/namespaces/devenv': (res) => sendStatus(res, 403, 'Forbidden', 'namespaces "devenv" is forbidden: User "alice" cannot get resource "namespaces" in API group "" in the namespace "devenv"'),
    }));
    const report = await checkHealth(clusterFor(dir, { server: api.url, context: 'team' }));
    assert.equal(report.ok, true);
    assert.equal(report.environments, 2);
    assert.equal(report.checks[3]?.line, 'Namespace "devenv": cannot check, you may not read namespaces.');

    const denied = await serve(healthy({
      '/apis/apps/v1/namespaces/devenv/statefulsets': (res) => sendStatus(res, 403, 'Forbidden', 'statefulsets.apps is forbidden: User "alice" cannot list resource "statefulsets" in API group "apps" in the namespace "devenv"'),
    }));
    const r2 = await checkHealth(clusterFor(dir, { server: denied.url, context: 'team' }));
    assert.equal(r2.ok, false);
    assert.deepEqual(formatHealth(r2).slice(5), [
      '  ✗ Terrarium environments unknown: Permission denied on context "team": you (User "alice") may not list statefulsets.apps in namespace "devenv".',
      '    Ask a cluster admin to grant "list" on "statefulsets.apps" in namespace "devenv": manifests/rbac.yaml is the Role with everything Terrarium needs (kubectl apply -n devenv -f manifests/rbac.yaml).',
    ]);
  });

  test('a failing API server (503) is retried, then reported with its status', async () => {
    const api = await serve(healthy({ '/version': (res) => sendStatus(res, 503, 'ServiceUnavailable', 'apiserver is shutting down') }));
    const report = await checkHealth(clusterFor(dir, { server: api.url, context: 'flaky' }), { sleep: async () => {} });
    assert.equal(report.ok, false);
    assert.equal(report.checks[1]?.line, `Server version unknown: The API server ${api.url} of context "flaky" failed to get version after 3 attempts (503 Service Unavailable: apiserver is shutting down).`);
    assert.equal(api.requests.filter((r) => r.url.pathname === '/version').length, 3);
    assert.equal(report.environments, 2, 'the other checks still ran');
  });

  test('cancelled: the abort propagates as Cancelled', async () => {
    const api = await serve(() => {});
    await assert.rejects(checkHealth(clusterFor(dir, { server: api.url, context: 'slow' }), { signal: AbortSignal.abort() }),
      (e: unknown) => (e as { code?: string }).code === 'Cancelled');
  });
});
