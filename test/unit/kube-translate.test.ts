// Every Kubernetes failure a user can meet, produced by real client-node requests against small
// local servers, and the exact text the user then sees.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { PassThrough } from 'node:stream';
import * as path from 'node:path';
import { Exec, PortForward, Watch, type V1Service } from '@kubernetes/client-node';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { TerrariumError } from '../../src/core/kube/errors';
import { translateKubeError } from '../../src/core/kube/translate';
import type { Cluster } from '../../src/core/kube/cluster';
import { clusterFor, makeCerts, sendStatus, startApi, tempDir, type TestApi, type TestCerts } from './kube-testkit';

const noWait = async () => {};

async function failure(p: Promise<unknown>): Promise<TerrariumError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TerrariumError, `expected a TerrariumError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

describe('HTTP failures from the API server', () => {
  let api: TestApi;
  let cluster: Cluster;
  let dir: string;
  before(async () => {
    api = await startApi((req, res, url) => {
      const key = `${req.method} ${url.pathname}`;
      if (url.searchParams.get('watch') === 'true') {
        return sendStatus(res, 410, 'Expired', 'too old resource version: 12 (40)');
      }
      switch (key) {
        case 'GET /api/v1/namespaces/devenv/pods':
          return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
        case 'GET /apis/apps/v1/namespaces/devenv/statefulsets':
          return sendStatus(res, 403, 'Forbidden',
            'statefulsets.apps is forbidden: User "alice" cannot list resource "statefulsets" in API group "apps" in the namespace "devenv"',
            { group: 'apps', kind: 'statefulsets' });
        case 'POST /api/v1/namespaces/devenv/pods':
          return sendStatus(res, 403, 'Forbidden',
            'pods "web-0" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "main" must set securityContext.allowPrivilegeEscalation=false)',
            { name: 'web-0', kind: 'pods' });
        case 'GET /apis/apps/v1/namespaces/devenv/statefulsets/web':
          return sendStatus(res, 404, 'NotFound', 'statefulsets.apps "web" not found', { name: 'web', group: 'apps', kind: 'statefulsets' });
        case 'POST /apis/apps/v1/namespaces/missing/statefulsets':
          return sendStatus(res, 404, 'NotFound', 'namespaces "missing" not found', { name: 'missing', kind: 'namespaces' });
        case 'GET /apis/secrets.hashicorp.com/v1beta1/namespaces/devenv/vaultstaticsecrets':
          return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource', {});
        case 'POST /apis/apps/v1/namespaces/devenv/statefulsets':
          return sendStatus(res, 409, 'AlreadyExists', 'statefulsets.apps "web" already exists', { name: 'web', group: 'apps', kind: 'statefulsets' });
        case 'PUT /apis/apps/v1/namespaces/devenv/statefulsets/web':
          return sendStatus(res, 409, 'Conflict',
            'Operation cannot be fulfilled on statefulsets.apps "web": the object has been modified; please apply your changes to the latest version and try again',
            { name: 'web', group: 'apps', kind: 'statefulsets' });
        case 'POST /api/v1/namespaces/devenv/services':
          return sendStatus(res, 422, 'Invalid', 'Service "Bad_Name" is invalid: [metadata.name: Invalid value: "Bad_Name": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive]',
            { name: 'Bad_Name', kind: 'Service', causes: [
              { reason: 'FieldValueInvalid', message: 'Invalid value: "Bad_Name": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\'', field: 'metadata.name' },
              { reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be between 1 and 65535, inclusive', field: 'spec.ports[0].port' },
            ] });
        case 'GET /api/v1/namespaces/devenv/services':
          return sendStatus(res, 429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 }, { 'retry-after': '1' });
        case 'GET /api/v1/namespaces/devenv/configmaps':
          return sendStatus(res, 503, 'ServiceUnavailable', 'etcdserver: leader changed');
        case 'GET /api/v1/namespaces/devenv/secrets':
          return; // never answers: only an abort ends this request
        default:
          return sendStatus(res, 500, 'InternalError', `unexpected ${key}`);
      }
    });
    dir = tempDir();
    cluster = clusterFor(dir, { server: api.url, context: 'test' });
  });
  after(async () => {
    await api.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('401: the credentials of the context were rejected', async () => {
    const err = await failure(cluster.call({ verb: 'list', resource: 'pods' }, (o) => cluster.core.listNamespacedPod({ namespace: 'devenv' }, o)));
    assert.equal(err.code, 'Unauthorized');
    assert.equal(err.status, 401);
    assert.equal(err.message, `The API server ${api.url} rejected the credentials of context "test" (401 Unauthorized): they are missing, invalid or expired.`);
    assert.equal(err.hint, 'Log in to the cluster again or refresh the token in your kubeconfig (for exec or OIDC logins, re-run the login command), then retry.');
  });

  test('403 from RBAC: names the verb, resource, namespace and the RBAC manifest', async () => {
    const err = await failure(cluster.call({ verb: 'list', resource: 'statefulsets.apps' }, (o) => cluster.apps.listNamespacedStatefulSet({ namespace: 'devenv' }, o)));
    assert.equal(err.code, 'Forbidden');
    assert.equal(err.message, 'Permission denied on context "test": you (User "alice") may not list statefulsets.apps in namespace "devenv".');
    assert.equal(err.hint, 'Ask a cluster admin to grant "list" on "statefulsets.apps" in namespace "devenv": manifests/rbac.yaml is the Role with everything Terrarium needs (kubectl apply -n devenv -f manifests/rbac.yaml).');
  });

  test('403 from admission (Pod Security): the server message, not an RBAC hint', async () => {
    const err = await failure(cluster.call({ verb: 'create', resource: 'pods', name: 'web-0' },
      (o) => cluster.core.createNamespacedPod({ namespace: 'devenv', body: { metadata: { name: 'web-0' } } }, o)));
    assert.equal(err.code, 'Forbidden');
    assert.equal(err.message, 'The API server refused to create Pod "web-0" in namespace "devenv" on context "test": pods "web-0" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "main" must set securityContext.allowPrivilegeEscalation=false).');
    assert.equal(err.hint, 'Fix what the message names (Pod Security, quota or admission policy) and try again.');
  });

  test('404 of an object: which object in which namespace', async () => {
    const err = await failure(cluster.call({ verb: 'get', resource: 'statefulsets.apps', name: 'web' },
      (o) => cluster.apps.readNamespacedStatefulSet({ name: 'web', namespace: 'devenv' }, o)));
    assert.equal(err.code, 'NotFound');
    assert.equal(err.message, 'StatefulSet "web" was not found in namespace "devenv" on context "test".');
    assert.equal(err.hint, 'It may have been deleted or renamed; refresh the view or check the name.');
  });

  test('404 of the namespace: says the namespace is missing, not the object', async () => {
    const other = cluster.withNamespace('missing');
    const err = await failure(other.call({ verb: 'create', resource: 'statefulsets.apps', name: 'web' },
      (o) => other.apps.createNamespacedStatefulSet({ namespace: 'missing', body: { metadata: { name: 'web' } } }, o)));
    assert.equal(err.code, 'NotFound');
    assert.equal(err.message, 'The namespace "missing" does not exist on context "test".');
    assert.equal(err.hint, 'Create an environment there (terrarium env create) or pick another namespace with --namespace or the terrarium.namespace setting.');
  });

  test('404 of an API that is not installed (CRD missing)', async () => {
    const err = await failure(cluster.call({ verb: 'list', resource: 'vaultstaticsecrets.secrets.hashicorp.com' },
      (o) => cluster.custom.listNamespacedCustomObject({ group: 'secrets.hashicorp.com', version: 'v1beta1', namespace: 'devenv', plural: 'vaultstaticsecrets' }, o)));
    assert.equal(err.code, 'NotFound');
    assert.equal(err.message, 'The API server of context "test" does not serve vaultstaticsecrets.secrets.hashicorp.com (404: the server could not find the requested resource).');
    assert.equal(err.hint, 'The API or its CustomResourceDefinition is not installed on this cluster; ask a cluster admin to install it.');
  });

  test('409 AlreadyExists', async () => {
    const err = await failure(cluster.call({ verb: 'create', resource: 'statefulsets.apps', name: 'web' },
      (o) => cluster.apps.createNamespacedStatefulSet({ namespace: 'devenv', body: { metadata: { name: 'web' } } }, o)));
    assert.equal(err.code, 'AlreadyExists');
    assert.equal(err.message, 'StatefulSet "web" already exists in namespace "devenv" on context "test".');
    assert.equal(err.hint, 'Pick another name, or delete the existing one first.');
  });

  test('409 Conflict: someone else changed it, retry', async () => {
    const err = await failure(cluster.call({ verb: 'update', resource: 'statefulsets.apps', name: 'web' },
      (o) => cluster.apps.replaceNamespacedStatefulSet({ name: 'web', namespace: 'devenv', body: { metadata: { name: 'web' } } }, o)));
    assert.equal(err.code, 'Conflict');
    assert.equal(err.message, 'StatefulSet "web" was changed by someone else while Terrarium was updating it in namespace "devenv" on context "test" (409 Conflict).');
    assert.equal(err.hint, 'Retry: Terrarium will read the latest version and apply the change again.');
  });

  test('410 on a watch: expired, relisting', async () => {
    const raw = await new Promise<unknown>((resolve) => {
      void new Watch(cluster.kc).watch('/apis/apps/v1/namespaces/devenv/statefulsets', { resourceVersion: '12' }, () => {}, resolve);
    });
    const err = translateKubeError(raw, cluster.op({ verb: 'watch', resource: 'statefulsets.apps' }));
    assert.equal(err.code, 'Gone');
    assert.equal(err.message, 'The watch of statefulsets.apps in namespace "devenv" on context "test" expired (410 Gone: resource version too old); relisting.');
    assert.equal(err.hint, 'Nothing to do: the view reloads the full list by itself.');
  });

  test('422: every field cause is listed', async () => {
    const body: V1Service = { metadata: { name: 'Bad_Name' }, spec: { ports: [{ port: 0 }] } };
    const err = await failure(cluster.call({ verb: 'create', resource: 'services', name: 'Bad_Name' },
      (o) => cluster.core.createNamespacedService({ namespace: 'devenv', body }, o)));
    assert.equal(err.code, 'Invalid');
    assert.equal(err.message, 'The API server rejected Service "Bad_Name" in namespace "devenv" on context "test" as invalid: metadata.name: Invalid value: "Bad_Name": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\'; spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive.');
    assert.equal(err.hint, 'Fix the listed fields and try again.');
  });

  test('429 after retries: overloaded, with the number of attempts', async () => {
    const waits: number[] = [];
    const err = await failure(cluster.call({ verb: 'list', resource: 'services' }, (o) => cluster.core.listNamespacedService({ namespace: 'devenv' }, o),
      { retries: 2, sleep: async (ms) => { waits.push(ms); } }));
    assert.equal(err.code, 'TooManyRequests');
    assert.equal(err.message, `The API server ${api.url} of context "test" is overloaded and refused to list services after 3 attempts (429 Too Many Requests).`);
    assert.equal(err.hint, 'Wait a minute and try again; if it keeps happening, ask a cluster admin about API priority and fairness limits.');
    assert.deepEqual(waits, [1000, 1000], 'Retry-After: 1 is honoured');
  });

  test('5xx after retries: the status and the server message', async () => {
    const err = await failure(cluster.call({ verb: 'list', resource: 'configmaps' }, (o) => cluster.core.listNamespacedConfigMap({ namespace: 'devenv' }, o),
      { retries: 1, sleep: noWait }));
    assert.equal(err.code, 'ServerError');
    assert.equal(err.message, `The API server ${api.url} of context "test" failed to list configmaps after 2 attempts (503 Service Unavailable: etcdserver: leader changed).`);
    assert.equal(err.hint, 'The cluster may be upgrading or unhealthy; try again shortly, and check the control plane if it persists.');
  });

  test('an aborted request is Cancelled', async () => {
    const ac = new AbortController();
    const p = cluster.call({ verb: 'list', resource: 'secrets' }, (o) => cluster.core.listNamespacedSecret({ namespace: 'devenv' }, o), { signal: ac.signal });
    setImmediate(() => ac.abort());
    const err = await failure(p);
    assert.equal(err.code, 'Cancelled');
    assert.equal(err.message, 'Cancelled.');
  });

  test('an exec refused at the WebSocket upgrade names pods/exec', async () => {
    const raw = await new Exec(cluster.kc).exec('devenv', 'web-0', 'main', ['true'], null, null, null, false).then(() => undefined, (e: unknown) => e);
    const err = translateKubeError(raw, cluster.op({ verb: 'create', resource: 'pods/exec', name: 'web-0' }));
    assert.equal(err.code, 'Forbidden');
    assert.equal(err.message, 'Permission denied on context "test": you may not create pods/exec in namespace "devenv".');
    assert.match(err.hint!, /^A sandbox's exec, attach and port-forward are its holder's: the Terrarium controller grants them when you claim it \(terrarium sandbox claim ENV\)/);
  });

  test('a port-forward refused at the WebSocket upgrade names pods/portforward', async () => {
    const pf = new PortForward(cluster.kc, true);
    const raw = await pf.portForward('devenv', 'web-0', [2222], new PassThrough(), null, new PassThrough()).then(() => undefined, (e: unknown) => e);
    const err = translateKubeError(raw, cluster.op({ verb: 'create', resource: 'pods/portforward', name: 'web-0' }));
    assert.equal(err.code, 'Forbidden');
    assert.equal(err.message, 'Permission denied on context "test": you may not create pods/portforward in namespace "devenv".');
  });

  test('a credential plugin that is not installed', async () => {
    const file = path.join(dir, 'exec.yaml');
    fs.writeFileSync(file, [
      'clusters:', '- name: eks', '  cluster:', `    server: ${api.url}`, '    insecure-skip-tls-verify: true',
      'users:', '- name: sso', '  user:', '    exec:', '      apiVersion: client.authentication.k8s.io/v1',
      '      command: terrarium-test-no-such-plugin', '      args: [token]',
      'contexts:', '- name: eks', '  context: {cluster: eks, user: sso}', 'current-context: eks', '',
    ].join('\n'));
    const eks = openCluster({ kubeconfigPath: file, env: {} });
    const err = await failure(eks.call({ verb: 'list', resource: 'pods' }, (o) => eks.core.listNamespacedPod({ namespace: 'devenv' }, o)));
    assert.equal(err.code, 'Unauthorized');
    assert.equal(err.message, 'The credential plugin "terrarium-test-no-such-plugin" that context "eks" uses to log in was not found.');
    assert.equal(err.hint, "Install it, or make sure VS Code sees the same PATH as your shell (start VS Code from a terminal, or add the plugin's folder to PATH), then retry.");
  });
});

describe('unreachable servers', () => {
  let dir: string;
  before(() => { dir = tempDir(); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  test('connection refused: which server and context', async () => {
    const api = await startApi(() => {});
    const server = api.url;
    await api.close();
    const cluster = clusterFor(dir, { server, context: 'kind-dev' });
    const err = await failure(cluster.call({ verb: 'list', resource: 'pods' }, (o) => cluster.core.listNamespacedPod({ namespace: 'devenv' }, o)));
    assert.equal(err.code, 'Unreachable');
    assert.equal(err.message, `Cannot reach the API server ${server} of context "kind-dev": the connection was refused (ECONNREFUSED).`);
    assert.equal(err.hint, 'Check that the cluster is running and that the server URL in your kubeconfig is right (is the VPN, tunnel or local cluster up?).');
  });

  test('host name that does not resolve', async () => {
    const cluster = clusterFor(dir, { server: 'https://api.cluster.invalid:6443', context: 'gone' });
    const err = await failure(cluster.call({ verb: 'list', resource: 'pods' }, (o) => cluster.core.listNamespacedPod({ namespace: 'devenv' }, o)));
    assert.equal(err.code, 'Unreachable');
    assert.match(err.message, /^Cannot reach the API server https:\/\/api\.cluster\.invalid:6443 of context "gone": the host name (does not resolve \(ENOTFOUND\)|could not be resolved right now \(EAI_AGAIN\))\.$/);
  });

  test('timeouts and unreachable hosts (undici shape: TypeError "fetch failed" with an errno cause)', () => {
    const op = { verb: 'get', resource: 'namespaces', name: 'devenv', context: 'prod', server: 'https://10.0.0.1:6443' };
    const shaped = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`connect ${code} 10.0.0.1:6443`), { code }) });
    const timedOut = translateKubeError(shaped('ETIMEDOUT'), op);
    assert.equal(timedOut.message, 'Cannot reach the API server https://10.0.0.1:6443 of context "prod": the connection timed out (ETIMEDOUT).');
    assert.equal(timedOut.hint, 'Check your network, VPN and firewall; the cluster may be down.');
    const unreachable = translateKubeError(shaped('EHOSTUNREACH'), op);
    assert.equal(unreachable.message, 'Cannot reach the API server https://10.0.0.1:6443 of context "prod": the host is unreachable (EHOSTUNREACH).');
    assert.equal(unreachable.hint, 'Check your network and VPN; the server address may be on a network you are not connected to.');
  });

  test('exec against a refused server (ws ErrorEvent shape)', async () => {
    const api = await startApi(() => {});
    const server = api.url;
    await api.close();
    const cluster = clusterFor(dir, { server, context: 'kind-dev' });
    const raw = await new Exec(cluster.kc).exec('devenv', 'web-0', 'main', ['true'], null, null, null, false).then(() => undefined, (e: unknown) => e);
    const err = translateKubeError(raw, cluster.op({ verb: 'create', resource: 'pods/exec', name: 'web-0' }));
    assert.equal(err.code, 'Unreachable');
    assert.equal(err.message, `Cannot reach the API server ${server} of context "kind-dev": the connection was refused (ECONNREFUSED).`);
  });

  test('plain http:// server without insecure-skip-tls-verify', async () => {
    const cluster = clusterFor(dir, { server: 'http://127.0.0.1:1', context: 'plain', skipTLS: false });
    const err = await failure(cluster.call({ verb: 'list', resource: 'pods' }, (o) => cluster.core.listNamespacedPod({ namespace: 'devenv' }, o)));
    assert.equal(err.code, 'BadKubeconfig');
    assert.equal(err.message, 'The server URL http://127.0.0.1:1 of context "plain" is plain http://, which is refused unless insecure-skip-tls-verify is set.');
    assert.equal(err.hint, 'Use the https:// URL of the API server, or set insecure-skip-tls-verify: true on cluster "plain-cluster" for a local test cluster only.');
  });
});

describe('TLS failures', () => {
  let dir: string;
  let certs: TestCerts;
  const servers: TestApi[] = [];
  before(() => { dir = tempDir(); certs = makeCerts(dir); });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const serve = async (tls: { key: string; cert: string }) => {
    const api = await startApi((_req, res) => sendStatus(res, 200, '', ''), { tls });
    servers.push(api);
    return api;
  };
  const listPods = (cluster: Cluster) => failure(cluster.call({ verb: 'list', resource: 'pods' }, (o) => cluster.core.listNamespacedPod({ namespace: 'devenv' }, o)));

  test('self-signed certificate', async () => {
    const api = await serve(certs.selfSigned);
    const err = await listPods(clusterFor(dir, { server: api.url, context: 'self' }));
    assert.equal(err.code, 'TLS');
    assert.equal(err.message, `The API server ${api.url} of context "self" presented a self-signed certificate that your kubeconfig does not trust (DEPTH_ZERO_SELF_SIGNED_CERT).`);
    assert.equal(err.hint, 'Put the cluster\'s CA in certificate-authority-data (or certificate-authority) of cluster "self-cluster" in your kubeconfig; insecure-skip-tls-verify: true also works but is unsafe outside a local test cluster.');
  });

  test('certificate from an unknown authority', async () => {
    const api = await serve(certs.leaf);
    const err = await listPods(clusterFor(dir, { server: api.url, context: 'rotated', caFile: certs.otherCaFile }));
    assert.equal(err.code, 'TLS');
    assert.equal(err.message, `The API server ${api.url} of context "rotated" presented a certificate signed by an unknown certificate authority (UNABLE_TO_VERIFY_LEAF_SIGNATURE).`);
    assert.match(err.hint ?? '', /^The CA in your kubeconfig does not match the server \(was the cluster re-created or its CA rotated\?\)\. Put the cluster's CA in certificate-authority-data/);
  });

  test('host name mismatch', async () => {
    const api = await serve(certs.leaf);
    const err = await listPods(clusterFor(dir, { server: api.url, context: 'mismatch', caFile: certs.caFile, tlsServerName: 'api.example.test' }));
    assert.equal(err.code, 'TLS');
    assert.match(err.message, new RegExp(`^The API server ${api.url.replace(/[.:/]/g, '\\$&')} of context "mismatch" presented a certificate that is not valid for the host name in the server URL \\(ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: Host: api\\.example\\.test\\.`));
    assert.equal(err.hint, 'Use a host name the certificate was issued for in the server URL, or set tls-server-name of cluster "mismatch-cluster" in your kubeconfig.');
  });

  test('expired certificate', async () => {
    const api = await serve(certs.expired);
    const err = await listPods(clusterFor(dir, { server: api.url, context: 'old', caFile: certs.caFile }));
    assert.equal(err.code, 'TLS');
    assert.equal(err.message, `The API server ${api.url} of context "old" presented an expired certificate (CERT_HAS_EXPIRED).`);
    assert.equal(err.hint, "Renew the API server's certificate (or check your computer's clock), then fetch a fresh kubeconfig.");
  });

  test('a trusted certificate works (the failures above are not the test setup)', async () => {
    const api = await serve(certs.leaf);
    const cluster = clusterFor(dir, { server: api.url.replace('127.0.0.1', 'localhost'), context: 'good', caFile: certs.caFile });
    const list = await cluster.call({ verb: 'list', resource: 'pods' }, () => cluster.core.listNamespacedPod({ namespace: 'devenv' }));
    assert.ok(list);
  });

  test('exec over WebSocket to a self-signed server', async () => {
    const api = await serve(certs.selfSigned);
    const cluster = clusterFor(dir, { server: api.url, context: 'self' });
    const raw = await new Exec(cluster.kc).exec('devenv', 'web-0', 'main', ['true'], null, null, null, false).then(() => undefined, (e: unknown) => e);
    const err = translateKubeError(raw, cluster.op({ verb: 'create', resource: 'pods/exec', name: 'web-0' }));
    assert.equal(err.code, 'TLS');
    assert.equal(err.message, `The API server ${api.url} of context "self" presented a self-signed certificate that your kubeconfig does not trust (DEPTH_ZERO_SELF_SIGNED_CERT).`);
  });
});
