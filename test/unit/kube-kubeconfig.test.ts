import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TerrariumError } from '../../src/core/kube/errors';
import {
  closeNames, describeCommand, discoverKubeconfig, kubeconfigPathForProxy, noticesFor, openCluster, type KubeconfigFs,
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

describe('hostile kubeconfig entries stay inert', () => {
  // The context name from the issue: backslash, quote, newline, then an ssh config directive.
  const hostile = '\\\'\nMatch exec "touch /tmp/x"\n#';
  const yamlStr = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
  const hostileFile = [
    'clusters:', '- name: c', '  cluster: {server: "https://c.example.test"}',
    'users:', '- name: u', '  user: {token: t}',
    'contexts:', `- name: ${yamlStr(hostile)}`, '  context: {cluster: c, user: u}',
    '- name: good', '  context: {cluster: c, user: u}',
    `current-context: ${yamlStr(hostile)}`, '',
  ].join('\n');

  test('a context name with a control character is left out with an escaped warning, and refused when selected', () => {
    const fsys = memFs({ [p('h.yaml')]: hostileFile });
    const d = discoverKubeconfig({ explicitPath: p('h.yaml'), env: {}, homeDir: home, fs: fsys });
    assert.deepEqual(d.contexts.map((c) => c.name), ['good']);
    assert.equal(d.warnings.length, 1);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    assert.ok(!/[\x00-\x1f]/.test(d.warnings[0]!), `warning must be one line: ${d.warnings[0]}`);
    assert.ok(d.warnings[0]!.includes('"\\\\\'\\nMatch exec \\"touch /tmp/x\\"\\n#"'), d.warnings[0]);
    for (const err of [
      caught(() => openCluster({ discovery: d, context: hostile })),
      caught(() => openCluster({ discovery: d })), // it is the current context
    ]) {
      assert.equal(err.code, 'BadKubeconfig');
      assert.equal(err.message, `The context "\\\\'\\nMatch exec \\"touch /tmp/x\\"\\n#" in ${p('h.yaml')} has a control character in its name, which Terrarium refuses: such a name could add lines to an ssh config or drive a terminal.`);
      assert.equal(err.hint, `Rename it: kubectl config rename-context $'\\\\\\'\\x0aMatch exec "touch /tmp/x"\\x0a#' NEW-NAME (or edit ${p('h.yaml')}).`);
    }
    assert.equal(openCluster({ discovery: d, context: 'good' }).context, 'good');
  });

  test('control characters in the cluster, user or namespace a context names, and in escape-sequence form', () => {
    for (const [field, value] of [['cluster', 'c\r'], ['user', 'u\x1b]52;c;aGk=\x07'], ['namespace', 'dev\x00']] as const) {
      const ctx = { cluster: 'c', user: 'u', [field]: value };
      const text = [
        'clusters:', `- name: ${yamlStr(field === 'cluster' ? value : 'c')}`, '  cluster: {server: "https://c.example.test"}',
        'users:', `- name: ${yamlStr(field === 'user' ? value : 'u')}`, '  user: {token: t}',
        'contexts:', '- name: ctx', `  context: ${JSON.stringify(ctx)}`, 'current-context: ctx', '',
      ].join('\n');
      const d = discoverKubeconfig({ explicitPath: p('f.yaml'), env: {}, homeDir: home, fs: memFs({ [p('f.yaml')]: text }) });
      assert.deepEqual(d.contexts, [], field);
      const err = caught(() => openCluster({ discovery: d }));
      assert.equal(err.message, `The context "ctx" in ${p('f.yaml')} names a ${field} with a control character, which Terrarium refuses.`);
      assert.match(err.hint!, new RegExp(`kubectl config set-context ctx --${field}=NAME`));
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      for (const w of d.warnings) assert.ok(!/[\x00-\x1f\x7f]/.test(w), `escaped: ${JSON.stringify(w)}`);
    }
  });

  test('file references and the kubeconfig path itself: a control character is refused with the field named', () => {
    const text = (cluster: string, user: string) => [
      'clusters:', '- name: c', `  cluster: {server: "https://c.example.test"${cluster}}`,
      'users:', '- name: u', `  user: {token: t${user}}`,
      'contexts:', '- name: ctx', '  context: {cluster: c, user: u}', 'current-context: ctx', '',
    ].join('\n');
    const cases: [string, string, string][] = [
      [', certificate-authority: "ca\\n.pem"', '', 'The cluster "c" in FILE has a control character in certificate-authority, which Terrarium refuses.'],
      ['', ', client-key: "/k/\\u001b[2Jme.key"', 'The user "u" in FILE has a control character in client-key, which Terrarium refuses.'],
      ['', ', token-file: "tok\\rx"', 'The user "u" in FILE has a control character in token-file, which Terrarium refuses.'],
      ['', ', client-certificate: "c\\u007f.pem"', 'The user "u" in FILE has a control character in client-certificate, which Terrarium refuses.'],
    ];
    for (const [c, u, message] of cases) {
      const d = discoverKubeconfig({ explicitPath: p('r.yaml'), env: {}, homeDir: home, fs: memFs({ [p('r.yaml')]: text(c, u) }) });
      const err = caught(() => openCluster({ discovery: d }));
      assert.equal(err.code, 'BadKubeconfig');
      assert.equal(err.message, message.replace('FILE', p('r.yaml')));
    }
    const bad = p('evil\nProxyCommand x.yaml');
    const err = caught(() => discoverKubeconfig({ explicitPath: bad, env: {}, homeDir: home, fs: memFs({ [bad]: text('', '') }) }));
    assert.equal(err.code, 'BadKubeconfig');
    assert.equal(err.message, `The kubeconfig path ${JSON.stringify(bad)} has a control character, which Terrarium refuses.`);
    const viaEnv = caught(() => discoverKubeconfig({ env: { KUBECONFIG: bad }, homeDir: home, fs: memFs({ [bad]: text('', '') }) }));
    assert.equal(viaEnv.hint, 'Rename the file and fix the KUBECONFIG environment variable.');
  });

  test('namespaces: an invalid context namespace is ignored with a warning; the namespace to use must be a valid name', () => {
    const text = fileA.replace('namespace: team-a', 'namespace: Team_A');
    const d = discoverKubeconfig({ explicitPath: p('a.yaml'), env: {}, homeDir: home, fs: memFs({ [p('a.yaml')]: text }) });
    assert.equal(d.contexts.find((c) => c.name === 'a')?.namespace, undefined);
    assert.deepEqual(d.warnings, [`Context "a" in ${p('a.yaml')} sets namespace "Team_A", which is not a valid namespace name; ignored.`]);
    for (const ns of ['dev\nMatch all', 'Bad_NS', '../x']) {
      const err = caught(() => openCluster({ discovery: d, context: 'a', namespace: ns }));
      assert.equal(err.code, 'InvalidInput');
      assert.equal(err.message, `The namespace ${JSON.stringify(ns)} is not a valid Kubernetes namespace name.`);
    }
  });
});

describe('credential plugins', () => {
  const withUser = (user: string[]) => [
    'clusters:', '- name: c', '  cluster: {server: "https://c.example.test"}',
    'users:', '- name: u', '  user:', ...user.map((l) => `    ${l}`),
    'contexts:', '- name: ctx', '  context: {cluster: c, user: u}', 'current-context: ctx', '',
  ].join('\n');
  const open = (text: string) => {
    const d = discoverKubeconfig({ explicitPath: p('u.yaml'), env: {}, homeDir: home, fs: memFs({ [p('u.yaml')]: text }) });
    return { d, err: caught(() => openCluster({ discovery: d })) };
  };

  test('legacy auth-providers are refused with the message kubectl 1.26+ gives, and never reach client-node', () => {
    const gcp = open(withUser(['auth-provider:', '  name: gcp', '  config: {cmd-path: /bin/sh, cmd-args: "-c \'touch /tmp/x\'"}']));
    assert.equal(gcp.err.code, 'BadKubeconfig');
    assert.equal(gcp.err.message, `The gcp auth plugin has been removed (user "u" in ${p('u.yaml')} uses it). Please use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.`);
    assert.match(gcp.err.hint!, /gcloud components install gke-gcloud-auth-plugin/);
    assert.deepEqual(gcp.d.merged.users, [], 'the user and its cmd-path are not handed on');
    assert.deepEqual(gcp.d.contexts.map((c) => c.name), ['ctx'], 'the context stays listed so the tree can say why it fails');
    const azure = open(withUser(['auth-provider: {name: azure, config: {apiserver-id: x}}']));
    assert.equal(azure.err.message, `The azure auth plugin has been removed (user "u" in ${p('u.yaml')} uses it). Please use the https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead.`);
    assert.match(azure.err.hint!, /kubelogin convert-kubeconfig/);
    const oidc = open(withUser(['auth-provider: {name: oidc, config: {idp-issuer-url: "https://idp.example.test", client-id: k}}']));
    assert.match(oidc.err.message, /^Terrarium does not run the oidc auth-provider .* such as kubelogin \(kubectl oidc-login\)\.$/);
    const other = open(withUser(['auth-provider: {name: "tokenFile", config: {tokenFile: /etc/passwd}}']));
    assert.match(other.err.message, /^The "tokenFile" auth plugin is not supported/);
  });

  test('a gcp auth-provider whose cmd-path would run a command: Terrarium refuses and nothing runs; client-node alone would run it', async (t) => {
    if (process.platform === 'win32') { t.skip('POSIX shell script'); return; }
    const dir = tempDir();
    const api = await startApi((_req, res) => sendJson(res, { kind: 'NamespaceList', items: [] }));
    try {
      const marker = path.join(dir, 'ran');
      const script = path.join(dir, 'helper.sh');
      fs.writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\necho '{"credential":{"access_token":"x","token_expiry":"2099-01-01T00:00:00Z"}}'\n`, { mode: 0o755 });
      const file = path.join(dir, 'config');
      fs.writeFileSync(file, withUser(['auth-provider:', '  name: gcp', '  config:', `    cmd-path: ${script}`, '    cmd-args: config config-helper',
        "    token-key: '{.credential.access_token}'", "    expiry-key: '{.credential.token_expiry}'"]).replace('server: "https://c.example.test"', `server: "${api.url}", insecure-skip-tls-verify: true`));
      const err = caught(() => openCluster({ kubeconfigPath: file, env: {} }));
      assert.match(err.message, /^The gcp auth plugin has been removed/);
      assert.equal(fs.existsSync(marker), false, 'no command ran');
      // The same file straight into client-node: its gcp provider runs cmd-path through a shell.
      const { KubeConfig, CoreV1Api } = await import('@kubernetes/client-node');
      const kc = new KubeConfig();
      kc.loadFromFile(file);
      await kc.makeApiClient(CoreV1Api).listNamespace();
      assert.equal(fs.existsSync(marker), true, 'the check above can fail: client-node would have run the helper');
    } finally {
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an exec plugin is reported once per context: command and arguments, credential values and env never shown', () => {
    const text = withUser(['exec:', '  apiVersion: client.authentication.k8s.io/v1beta1', '  command: aws',
      '  args: [eks, get-token, --cluster-name, prod, --token, s3cr3t-arg, "--client-secret=s3cr3t-eq", "a b"]',
      '  env: [{name: AWS_SECRET_ACCESS_KEY, value: s3cr3t-env}]']);
    const d = discoverKubeconfig({ explicitPath: p('e.yaml'), env: {}, homeDir: home, fs: memFs({ [p('e.yaml')]: text }) });
    const notices = noticesFor(d, 'ctx');
    assert.deepEqual(notices.map((n) => [n.kind, n.command, n.file]), [
      ['exec-plugin', 'aws eks get-token --cluster-name prod --token [redacted] --client-secret=[redacted] "a b"', p('e.yaml')],
    ]);
    assert.equal(notices[0]!.message, `Context "ctx" gets its credentials by running: aws eks get-token --cluster-name prod --token [redacted] --client-secret=[redacted] "a b" (exec plugin of user "u" in ${p('e.yaml')}).`);
    assert.ok(!JSON.stringify(d.notices).includes('s3cr3t'));
    assert.equal(openCluster({ discovery: d }).context, 'ctx', 'exec plugins are allowed');
    assert.equal(describeCommand('/opt/my tool', ['--api-key', 'k', '--password=p', '\x1b[31m']), '"/opt/my tool" --api-key [redacted] --password=[redacted] "\\u001b[31m"');
  });

  test('insecure-skip-tls-verify against a non-loopback server is a notice for each context that uses it', () => {
    const text = kubeconfig({ clusters: [['remote', 'https://k8s.example.test:6443'], ['local', 'https://127.0.0.1:6443']], users: [['u', 't']],
      contexts: [{ name: 'prod', cluster: 'remote', user: 'u' }, { name: 'prod-admin', cluster: 'remote', user: 'u' }, { name: 'kind', cluster: 'local', user: 'u' }] })
      .replace(/(server: https:.*)/g, '$1\n    insecure-skip-tls-verify: true');
    const d = discoverKubeconfig({ explicitPath: p('k.yaml'), env: {}, homeDir: home, fs: memFs({ [p('k.yaml')]: text }) });
    assert.deepEqual(noticesFor(d, 'kind'), []);
    assert.deepEqual(noticesFor(d, 'prod'), [{
      kind: 'insecure-tls', context: 'prod', file: p('k.yaml'),
      message: `Context "prod" does not verify the TLS certificate of https://k8s.example.test:6443 (insecure-skip-tls-verify in ${p('k.yaml')}): anyone on the network path can impersonate this API server and capture your credentials. Set certificate-authority-data instead.`,
    }]);
    assert.equal(noticesFor(d, 'prod-admin').length, 1);
  });
});
