// `terrarium sandbox claim` against a server without SelfSubjectReview (before Kubernetes 1.28):
// the claim is recorded for the kubeconfig's user name, and the CLI says so on stderr (and in --json).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxClaimCommand } from '../../src/cli/commands/sandbox-claim';

let server: Server;
let dir: string;
let kubeconfig: string;
const puts: any[] = [];
const labels = { 'app.kubernetes.io/name': 'terrarium', 'terrarium.dev/environment': 'web' };
const pod = { metadata: { name: 'web-0', namespace: 'devenv', labels }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } };
const pvc = { metadata: { name: 'workspace-web-0', namespace: 'devenv', labels, resourceVersion: '7', annotations: {} }, spec: {} };

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const send = (status: number, obj: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(obj));
      const path = (req.url ?? '').split('?')[0];
      if (path === '/api/v1/namespaces/devenv/pods') return send(200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [pod] });
      if (path === '/api/v1/namespaces/devenv/persistentvolumeclaims') return send(200, { kind: 'PersistentVolumeClaimList', apiVersion: 'v1', metadata: {}, items: [pvc] });
      if (req.method === 'PUT' && path === '/api/v1/namespaces/devenv/persistentvolumeclaims/workspace-web-0') { puts.push(JSON.parse(body)); return send(200, JSON.parse(body)); }
      if (path === '/apis/apps/v1/namespaces/devenv/statefulsets/web') return send(200, { kind: 'StatefulSet', metadata: { name: 'web', labels: { 'app.kubernetes.io/managed-by': 'terrarium' } }, spec: { replicas: 1 } });
      send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  dir = mkdtempSync(join(tmpdir(), 'terrarium-cli-identity-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: old',
    'clusters:', '- name: old', '  cluster:', `    server: http://127.0.0.1:${(server.address() as AddressInfo).port}`, '    insecure-skip-tls-verify: true',
    'users:', '- name: dana', '  user:', '    token: t',
    'contexts:', '- name: old', '  context:', '    cluster: old', '    user: dana', '    namespace: devenv', '',
  ].join('\n'), { mode: 0o600 });
});
after(() => { server.closeAllConnections(); server.close(); rmSync(dir, { recursive: true, force: true }); });

test('no SelfSubjectReview: the kubeconfig user claims, and the CLI says so on stderr', async () => {
  let out = '', err = '';
  const io = { stdout: { write: (t: string) => { out += t; return true; } } as any, stderr: { write: (t: string) => { err += t; return true; } } as any, env: {} };
  const code = await sandboxClaimCommand(['web', '--kubeconfig', kubeconfig, '--no-key', '--json'], io);
  assert.equal(code, 0, err);
  assert.equal(puts.length, 1);
  assert.equal(puts[0].metadata.annotations['terrarium.dev/claimed-by'], 'dana');
  const r = JSON.parse(out);
  assert.equal(r.user, 'dana');
  assert.equal(r.identitySource, 'kubeconfig');
  assert.match(r.identityNote, /does not serve SelfSubjectReview/);
  assert.match(err, /^terrarium: note: The API server of context old .* does not serve SelfSubjectReview .*"dana"/m);
});
