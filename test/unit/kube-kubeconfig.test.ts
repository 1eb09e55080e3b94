import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TerrariumError } from '../../src/core/kube/errors';
import {
  closeNames, discoverKubeconfig, kubeconfigPathForProxy, openCluster, type KubeconfigFs,
} from '../../src/core/kube/kubeconfig';
import { sendJson, startApi, tempDir } from './kube-testkit';

// Virtual paths for the in-memory file system: never read from the real disk.
const root = path.join(os.tmpdir(), 'terrarium-kubeconfig-virtual');
const home = path.join(root, 'home');
const p = (...parts: string[]) => path.join(root, ...parts);

function memFs(files: Record<string, string>): KubeconfigFs {
  return {
    existsSync: (f) => Object.prototype.hasOwnProperty.call(files, f),
    readFileSync: (f) => {
      const text = files[f];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
      return text;
    },
  };
}

interface Ctx { name: string; cluster: string; user: string; namespace?: string }
function kubeconfig(opts: { clusters?: [string, string][]; users?: [string, string][]; contexts?: Ctx[]; current?: string; extra?: string[] }): string {
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const [name, server] of opts.clusters ?? []) lines.push(`- name: ${name}`, '  cluster:', `    server: ${server}`);
  lines.push('users:');
  for (const [name, token] of opts.users ?? []) lines.push(`- name: ${name}`, '  user:', `    token: ${token}`);
  lines.push('contexts:');
  for (const c of opts.contexts ?? []) {
    lines.push(`- name: ${c.name}`, '  context:', `    cluster: ${c.cluster}`, `    user: ${c.user}`, ...(c.namespace ? [`    namespace: ${c.namespace}`] : []));
  }
  if (opts.current) lines.push(`current-context: ${opts.current}`);
  lines.push(...(opts.extra ?? []));
  return `${lines.join('\n')}\n`;
}

const fileA = kubeconfig({
  clusters: [['shared', 'https://a.example.test:6443'], ['a-only', 'https://a2.example.test:6443']],
  users: [['shared-user', 'token-a'], ['a-user', 'token-a2']],
  contexts: [{ name: 'dev', cluster: 'shared', user: 'shared-user' }, { name: 'a', cluster: 'a-only', user: 'a-user', namespace: 'team-a' }],
});
const fileB = kubeconfig({
  clusters: [['shared', 'https://b.example.test:6443'], ['b-only', 'https://b2.example.test:6443']],
  users: [['shared-user', 'token-b']],
  contexts: [{ name: 'dev', cluster: 'b-only', user: 'shared-user' }, { name: 'b', cluster: 'b-only', user: 'shared-user' }],
  current: 'b',
});

function caught(fn: () => unknown): TerrariumError {
  try { fn(); } catch (e) {
    assert.ok(e instanceof TerrariumError, `expected TerrariumError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('kubeconfig discovery order', () => {
  const files = { [p('explicit.yaml')]: fileA, [p('env.yaml')]: fileB, [path.join(home, '.kube', 'config')]: fileB };

  test('an explicit path wins over KUBECONFIG and ~/.kube/config', () => {
    const d = discoverKubeconfig({ explicitPath: p('explicit.yaml'), env: { KUBECONFIG: p('env.yaml') }, homeDir: home, fs: memFs(files) });
    assert.equal(d.origin, 'explicit');
    assert.deepEqual(d.sources, [p('explicit.yaml')]);
    assert.deepEqual(d.contexts.map((c) => c.name), ['dev', 'a']);
  });

  test('KUBECONFIG comes next, then ~/.kube/config', () => {
    const fromEnv = discoverKubeconfig({ env: { KUBECONFIG: p('env.yaml') }, homeDir: home, fs: memFs(files) });
    assert.equal(fromEnv.origin, 'KUBECONFIG');
    assert.deepEqual(fromEnv.sources, [p('env.yaml')]);
    const fromHome = discoverKubeconfig({ env: {}, homeDir: home, fs: memFs(files) });
    assert.equal(fromHome.origin, 'default');
    assert.deepEqual(fromHome.sources, [path.join(home, '.kube', 'config')]);
  });

  test('in-cluster service account when there is no kubeconfig', () => {
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const d = discoverKubeconfig({
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, homeDir: home,
      fs: memFs({ [`${sa}/token`]: 'sa-token', [`${sa}/namespace`]: 'agents\n' }),
    });
    assert.equal(d.origin, 'in-cluster');
    assert.deepEqual(d.sources, []);
    assert.equal(d.currentContext, 'in-cluster');
    assert.deepEqual(d.contexts, [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace: 'agents', server: 'https://10.96.0.1:443', source: 'in-cluster' }]);
    assert.equal(kubeconfigPathForProxy(d), undefined, 'the child process finds the service account itself');
  });

  test('nothing at all: says where it looked and what to set', () => {
    const err = caught(() => discoverKubeconfig({ env: {}, homeDir: home, fs: memFs({}) }));
    assert.equal(err.code, 'NoKubeconfig');
    assert.equal(err.message, `No kubeconfig found: no terrarium.kubeconfig setting or --kubeconfig, KUBECONFIG is not set, ${path.join(home, '.kube', 'config')} does not exist, and this is not a pod in a cluster.`);
    assert.equal(err.hint, 'Point the terrarium.kubeconfig setting (or --kubeconfig) at a kubeconfig file, or set KUBECONFIG.');
  });

  test('an explicit file that does not exist is an error, not a silent fallback', () => {
    const err = caught(() => discoverKubeconfig({ explicitPath: p('typo.yaml'), env: { KUBECONFIG: p('env.yaml') }, homeDir: home, fs: memFs(files) }));
    assert.equal(err.code, 'NoKubeconfig');
    assert.equal(err.message, `The kubeconfig file ${p('typo.yaml')} does not exist.`);
    assert.equal(err.hint, 'Fix the path in the terrarium.kubeconfig setting or --kubeconfig, or clear it to use KUBECONFIG or ~/.kube/config.');
  });

  test('~ in an explicit path means the home directory', () => {
    const d = discoverKubeconfig({ explicitPath: '~/.kube/config', env: {}, homeDir: home, fs: memFs(files) });
    assert.deepEqual(d.sources, [path.join(home, '.kube', 'config')]);
  });
});

describe('merging several files like kubectl', () => {
  test('first file wins for duplicate cluster, user and context names; no crash; warnings say so', () => {
    const d = discoverKubeconfig({ env: { KUBECONFIG: [p('a.yaml'), p('b.yaml')].join(path.delimiter) }, homeDir: home,
      fs: memFs({ [p('a.yaml')]: fileA, [p('b.yaml')]: fileB }) });
    assert.deepEqual(d.sources, [p('a.yaml'), p('b.yaml')]);
    assert.deepEqual(d.contexts.map((c) => `${c.name}@${c.cluster}:${c.server}`), [
      'dev@shared:https://a.example.test:6443', 'a@a-only:https://a2.example.test:6443', 'b@b-only:https://b2.example.test:6443',
    ]);
    assert.equal(d.merged.users.find((u) => u.name === 'shared-user')?.token, 'token-a');
    assert.equal(d.contexts.find((c) => c.name === 'b')?.source, p('b.yaml'));
    assert.deepEqual(d.warnings, [
      `cluster "shared" in ${p('b.yaml')} is ignored: ${p('a.yaml')} defines it first (kubectl does the same).`,
      `user "shared-user" in ${p('b.yaml')} is ignored: ${p('a.yaml')} defines it first (kubectl does the same).`,
      `context "dev" in ${p('b.yaml')} is ignored: ${p('a.yaml')} defines it first (kubectl does the same).`,
    ]);
  });

  test('current-context comes from the first file that sets one', () => {
    const d = discoverKubeconfig({ env: { KUBECONFIG: [p('a.yaml'), p('b.yaml')].join(path.delimiter) }, homeDir: home,
      fs: memFs({ [p('a.yaml')]: fileA, [p('b.yaml')]: fileB }) });
    assert.equal(d.currentContext, 'b', 'a.yaml sets none, b.yaml sets "b"');
    const c = kubeconfig({ clusters: [['c', 'https://c.example.test']], users: [['u', 't']], contexts: [{ name: 'c', cluster: 'c', user: 'u' }], current: 'c' });
    const d2 = discoverKubeconfig({ env: { KUBECONFIG: [p('c.yaml'), p('b.yaml')].join(path.delimiter) }, homeDir: home,
      fs: memFs({ [p('c.yaml')]: c, [p('b.yaml')]: fileB }) });
    assert.equal(d2.currentContext, 'c');
  });

  test('an explicit path may be a list too', () => {
    const d = discoverKubeconfig({ explicitPath: `${p('a.yaml')}${path.delimiter}${p('b.yaml')}`, env: {}, homeDir: home,
      fs: memFs({ [p('a.yaml')]: fileA, [p('b.yaml')]: fileB }) });
    assert.deepEqual(d.sources, [p('a.yaml'), p('b.yaml')]);
    assert.equal(kubeconfigPathForProxy(d), `${p('a.yaml')}${path.delimiter}${p('b.yaml')}`);
  });

  test('KUBECONFIG entries that do not exist are skipped with a warning; all missing is an error', () => {
    const d = discoverKubeconfig({ env: { KUBECONFIG: [p('gone.yaml'), p('a.yaml'), ''].join(path.delimiter) }, homeDir: home, fs: memFs({ [p('a.yaml')]: fileA }) });
    assert.deepEqual(d.sources, [p('a.yaml')]);
    assert.deepEqual(d.warnings, [`KUBECONFIG names ${p('gone.yaml')}, which does not exist; skipped.`]);
    const err = caught(() => discoverKubeconfig({ env: { KUBECONFIG: p('gone.yaml') }, homeDir: home, fs: memFs({}) }));
    assert.equal(err.code, 'NoKubeconfig');
    assert.equal(err.message, `None of the files in KUBECONFIG exist (${p('gone.yaml')}).`);
  });

  test('broken entries are skipped with a warning instead of failing the whole file', () => {
    const text = kubeconfig({ clusters: [['ok', 'https://ok.example.test']], users: [['u', 't']],
      contexts: [{ name: 'ok', cluster: 'ok', user: 'u' }],
      extra: ['preferences: {}'] }).replace('clusters:\n', 'clusters:\n- name: noserver\n  cluster: {}\n- cluster: {server: "https://x"}\n');
    const d = discoverKubeconfig({ explicitPath: p('k.yaml'), env: {}, homeDir: home, fs: memFs({ [p('k.yaml')]: text }) });
    assert.deepEqual(d.merged.clusters.map((c) => c.name), ['ok']);
    assert.deepEqual(d.warnings, [`${p('k.yaml')}: clusters[1] has no name; ignored.`, `${p('k.yaml')}: cluster "noserver" has no server; ignored.`]);
  });
});

describe('kubeconfig problems a user can meet', () => {
  test('malformed YAML: which file and which line', () => {
    const bad = 'apiVersion: v1\nclusters:\n- name: a\n  cluster:\n    server: https://a\n   insecure-skip-tls-verify: true\ncontexts: []\n';
    const err = caught(() => discoverKubeconfig({ explicitPath: p('bad.yaml'), env: {}, homeDir: home, fs: memFs({ [p('bad.yaml')]: bad }) }));
    assert.equal(err.code, 'BadKubeconfig');
    assert.match(err.message, new RegExp(`^The kubeconfig ${p('bad.yaml').replace(/[.\\/]/g, '\\$&')} is not valid YAML at line 6, column 4: bad indentation of a mapping entry\\.$`));
    assert.equal(err.hint, 'Fix the file (kubectl config view shows what kubectl makes of it) or point the terrarium.kubeconfig setting / --kubeconfig at another file.');
  });

  test('a file that is not a mapping', () => {
    const err = caught(() => discoverKubeconfig({ explicitPath: p('list.yaml'), env: {}, homeDir: home, fs: memFs({ [p('list.yaml')]: '- a\n- b\n' }) }));
    assert.equal(err.code, 'BadKubeconfig');
    assert.equal(err.message, `The kubeconfig ${p('list.yaml')} is not a kubeconfig: its top level is not a mapping.`);
  });

  test('no contexts: discovery warns, opening a cluster explains', () => {
    const empty = kubeconfig({ clusters: [['a', 'https://a.example.test']] });
    const fsys = memFs({ [p('empty.yaml')]: empty });
    const d = discoverKubeconfig({ explicitPath: p('empty.yaml'), env: {}, homeDir: home, fs: fsys });
    assert.deepEqual(d.contexts, []);
    assert.deepEqual(d.warnings, [`${p('empty.yaml')} defines no contexts.`]);
    const err = caught(() => openCluster({ kubeconfigPath: p('empty.yaml'), env: {}, homeDir: home, fs: fsys }));
    assert.equal(err.code, 'NoContext');
    assert.equal(err.message, `${p('empty.yaml')} defines no contexts.`);
    assert.equal(err.hint, 'Add one (kubectl config set-context NAME --cluster=... --user=...) or point the terrarium.kubeconfig setting / --kubeconfig at another file.');
  });

  test('no current context and none given: lists the contexts and how to pick one', () => {
    const err = caught(() => openCluster({ kubeconfigPath: p('a.yaml'), env: {}, homeDir: home, fs: memFs({ [p('a.yaml')]: fileA }) }));
    assert.equal(err.code, 'NoContext');
    assert.equal(err.message, `No current context is set in ${p('a.yaml')} and none was given. Available contexts: dev, a.`);
    assert.equal(err.hint, 'Pick one with --context NAME (or the terrarium.context setting), or make one current: kubectl config use-context NAME.');
  });

  test('current-context naming a context that does not exist', () => {
    const text = fileA + 'current-context: staging\n';
    const err = caught(() => openCluster({ kubeconfigPath: p('a.yaml'), env: {}, homeDir: home, fs: memFs({ [p('a.yaml')]: text }) }));
    assert.equal(err.message, `The current context "staging" is not defined in ${p('a.yaml')}. Available contexts: dev, a.`);
  });

  test('unknown context name: suggests close names', () => {
    const fsys = memFs({ [p('a.yaml')]: fileA, [p('b.yaml')]: fileB });
    const kubeconfigPath = `${p('a.yaml')}${path.delimiter}${p('b.yaml')}`;
    const err = caught(() => openCluster({ kubeconfigPath, context: 'deve', env: {}, homeDir: home, fs: fsys }));
    assert.equal(err.code, 'NoContext');
    assert.equal(err.message, `There is no context "deve" in the merged kubeconfig (${kubeconfigPath}). Did you mean "dev"? Available contexts: dev, a, b.`);
    assert.equal(caught(() => openCluster({ kubeconfigPath, context: 'production', env: {}, homeDir: home, fs: fsys })).message,
      `There is no context "production" in the merged kubeconfig (${kubeconfigPath}). Available contexts: dev, a, b.`);
  });

  test('a context whose cluster is not defined', () => {
    const text = kubeconfig({ users: [['u', 't']], contexts: [{ name: 'orphan', cluster: 'nowhere', user: 'u' }], current: 'orphan' });
    const err = caught(() => openCluster({ kubeconfigPath: p('o.yaml'), env: {}, homeDir: home, fs: memFs({ [p('o.yaml')]: text }) }));
    assert.equal(err.code, 'BadKubeconfig');
    assert.equal(err.message, `Context "orphan" refers to cluster "nowhere", which is not defined in ${p('o.yaml')}.`);
  });

  test('insecure-skip-tls-verify against a non-loopback server is warned about; loopback is not', () => {
    const text = kubeconfig({ clusters: [['remote', 'https://k8s.example.test:6443'], ['local', 'https://127.0.0.1:6443']], users: [['u', 't']],
      contexts: [{ name: 'prod', cluster: 'remote', user: 'u' }, { name: 'kind', cluster: 'local', user: 'u' }] })
      .replace('    server: https://k8s.example.test:6443\n', '    server: https://k8s.example.test:6443\n    insecure-skip-tls-verify: true\n')
      .replace('    server: https://127.0.0.1:6443\n', '    server: https://127.0.0.1:6443\n    insecure-skip-tls-verify: true\n');
    const d = discoverKubeconfig({ explicitPath: p('k.yaml'), env: {}, homeDir: home, fs: memFs({ [p('k.yaml')]: text }) });
    assert.deepEqual(d.warnings, [
      'Cluster "remote" (https://k8s.example.test:6443, context "prod") sets insecure-skip-tls-verify: anyone on the network path can impersonate this API server and capture your credentials. Set certificate-authority-data instead.',
    ]);
  });

  test('relative certificate and token-file paths resolve against the kubeconfig\'s directory', () => {
    const text = [
      'clusters:', '- name: c', '  cluster:', '    server: https://c.example.test', '    certificate-authority: certs/ca.pem',
      'users:', '- name: u', '  user:', '    client-certificate: certs/me.pem', '    client-key: /abs/me.key', '    token-file: token',
      'contexts:', '- name: c', '  context: {cluster: c, user: u}', 'current-context: c', '',
    ].join('\n');
    const d = discoverKubeconfig({ explicitPath: p('dir', 'k.yaml'), env: {}, homeDir: home, fs: memFs({ [p('dir', 'k.yaml')]: text, [p('dir', 'token')]: 'secret-token\n' }) });
    assert.equal(d.merged.clusters[0]?.caFile, p('dir', 'certs', 'ca.pem'));
    assert.equal(d.merged.users[0]?.certFile, p('dir', 'certs', 'me.pem'));
    assert.equal(d.merged.users[0]?.keyFile, '/abs/me.key');
    assert.equal(d.merged.users[0]?.token, 'secret-token', 'read from token-file, trailing newline removed');
  });

  test('closeNames: case, substrings and typos', () => {
    assert.deepEqual(closeNames('PROD', ['prod', 'dev']), ['prod']);
    assert.deepEqual(closeNames('kind', ['kind-terrarium', 'minikube']), ['kind-terrarium']);
    assert.deepEqual(closeNames('stagign', ['staging', 'prod']), ['staging']);
    assert.deepEqual(closeNames('x', ['production']), []);
  });
});

describe('openCluster: one KubeConfig per context', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

  test('two contexts of one merged kubeconfig each send their own token to their own server', async () => {
    const seen: string[] = [];
    const mk = (label: string) => startApi((req, res) => { seen.push(`${label}:${req.headers.authorization}`); sendJson(res, { kind: 'NamespaceList', items: [] }); });
    const one = await mk('one');
    const two = await mk('two');
    const dir = tempDir();
    dirs.push(dir);
    try {
      const text = kubeconfig({ clusters: [['one', one.url], ['two', two.url]], users: [['u1', 'token-one'], ['u2', 'token-two']],
        contexts: [{ name: 'one', cluster: 'one', user: 'u1' }, { name: 'two', cluster: 'two', user: 'u2' }], current: 'one' })
        .replace(/(server: http:.*)/g, '$1\n    insecure-skip-tls-verify: true');
      const file = path.join(dir, 'config');
      fs.writeFileSync(file, text);
      const d = discoverKubeconfig({ explicitPath: file, env: {} });
      const c1 = openCluster({ discovery: d });
      const c2 = openCluster({ discovery: d, context: 'two', namespace: 'agents' });
      assert.equal(c1.context, 'one');
      assert.equal(c1.namespace, 'devenv', 'default namespace');
      assert.equal(c2.namespace, 'agents');
      assert.notEqual(c1.kc, c2.kc);
      assert.equal(c1.kc.getContexts().length, 1, 'a KubeConfig holds only its own context');
      // Interleave calls: with one shared, switched KubeConfig the tokens would cross.
      await Promise.all([c2.core.listNamespace(), c1.core.listNamespace(), c2.core.listNamespace()]);
      assert.deepEqual(seen.sort(), ['one:Bearer token-one', 'two:Bearer token-two', 'two:Bearer token-two']);
      assert.equal(c1.server, one.url);
      assert.equal(c2.clusterName, 'two');
      assert.equal(kubeconfigPathForProxy(c1), file);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
