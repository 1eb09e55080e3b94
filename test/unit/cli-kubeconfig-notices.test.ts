// What the CLI tells a user about the context it opens: insecure TLS on stderr for every command
// (once per process), the exec plugin a context runs with TERRARIUM_DEBUG, refused contexts as errors.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { run, type RunIo } from '../../src/cli/run';
import type { AnyCommand } from '../../src/cli/commandTable';
import { clusterFor } from '../../src/cli/cluster';
import { sshProxyCommand } from '../../src/cli/commands/ssh-proxy';
import { sendJson, startApi, tempDir } from './kube-testkit';
import { capturedStreams } from './testIo';

function io(env: NodeJS.ProcessEnv = {}) {
  const { stdout, stderr, out: outText, err: errText } = capturedStreams();
  return { io: { stdout, stderr, env, signal: new AbortController().signal } as RunIo, out: outText, err: errText };
}

/** A command that only opens the cluster, as every cluster command does first. */
const opens: AnyCommand[] = [{ kind: 'parsed', name: 'thing open', summary: 'Open the cluster', positionals: { min: 0, max: 0 },
  load: async () => async ({ globals }, ctx) => { clusterFor(globals, ctx); return 0; } }];

const dir = tempDir('terrarium-cli-notices-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(name: string, server: string, user: string[] = ['token: t']): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, [
    'clusters:', '- name: remote', '  cluster:', `    server: ${server}`, '    insecure-skip-tls-verify: true',
    '- name: local', '  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}',
    'users:', '- name: u', '  user:', ...user.map((l) => `    ${l}`),
    'contexts:', '- name: prod', '  context: {cluster: remote, user: u}', '- name: kind', '  context: {cluster: local, user: u}',
    'current-context: prod', '',
  ].join('\n'));
  return file;
}

const tlsLine = (file: string, server: string) =>
  `terrarium: warning: Context "prod" does not verify the TLS certificate of ${server} (insecure-skip-tls-verify in ${file}): anyone on the network path can impersonate this API server and capture your credentials. Set certificate-authority-data instead.\n`;

describe('CLI: notices about the context a command opens', () => {
  test('insecure-skip-tls-verify against a non-loopback server: one stderr line per process, for every command; stdout untouched', async () => {
    const file = config('tls.yaml', 'https://k8s.example.test:6443');
    const a = io();
    assert.equal(await run(['--kubeconfig', file, 'thing', 'open'], { ...a.io, commands: opens }), 0);
    assert.equal(await run(['--kubeconfig', file, 'thing', 'open', '--json'], { ...a.io, commands: opens }), 0);
    assert.equal(a.err(), tlsLine(file, 'https://k8s.example.test:6443'), 'once per process (one env, as in one process)');
    assert.equal(a.out(), '');
    const kind = io();
    assert.equal(await run(['--kubeconfig', file, '--context', 'kind', 'thing', 'open'], { ...kind.io, commands: opens }), 0);
    assert.equal(kind.err(), '', 'loopback servers are not warned about');
  });

  test('a real command (env list) warns and still works', async (t) => {
    if (process.platform === 'win32') { t.skip('0.0.0.0 reaches the loopback listener on Linux and macOS only'); return; }
    const api = await startApi((_req, res) => sendJson(res, { kind: 'StatefulSetList', apiVersion: 'apps/v1', metadata: {}, items: [] }));
    try {
      // 0.0.0.0 is not a loopback name, so the warning applies, yet it reaches the local test server.
      const server = `http://0.0.0.0:${api.port}`;
      const file = config('real.yaml', server);
      const a = io();
      assert.equal(await run(['--kubeconfig', file, 'env', 'list', '--json'], a.io), 0, a.err());
      assert.equal(a.err(), tlsLine(file, server));
      assert.deepEqual(JSON.parse(a.out()).environments, []);
    } finally {
      await api.close();
    }
  });

  test('ssh-proxy, forward and sandbox claim/release warn too (they open the cluster on their own path)', async (t) => {
    if (process.platform === 'win32') { t.skip('0.0.0.0 reaches the loopback listener on Linux and macOS only'); return; }
    const api = await startApi((_req, res) => { res.writeHead(404, { 'content-type': 'application/json' }); res.end(JSON.stringify({ kind: 'Status', code: 404, reason: 'NotFound', message: 'pods "p" not found' })); });
    try {
      const server = `http://0.0.0.0:${api.port}`;
      const file = config('proxy.yaml', server);
      const a = io();
      const stdin = new PassThrough();
      stdin.end();
      await sshProxyCommand(['--kubeconfig', file, '--namespace', 'ns', '--pod', 'p'], { stdout: a.io.stdout, stderr: a.io.stderr, env: {}, stdin });
      assert.ok(a.err().startsWith(tlsLine(file, server)), `the proxy warns first: ${JSON.stringify(a.err())}`);
    } finally {
      await api.close();
    }
  });

  test('the exec plugin a context runs: shown with TERRARIUM_DEBUG, redacted, never its env', async () => {
    const file = config('exec.yaml', 'https://127.0.0.1:6443', [
      'exec:', '  apiVersion: client.authentication.k8s.io/v1beta1', '  command: my-login', '  args: [get-token, --client-secret, hunter2]',
      '  env: [{name: LOGIN_PASSWORD, value: hunter3}]']);
    const quiet = io();
    assert.equal(await run(['--kubeconfig', file, 'thing', 'open'], { ...quiet.io, commands: opens }), 0);
    assert.equal(quiet.err(), '');
    const debug = io({ TERRARIUM_DEBUG: '1' });
    assert.equal(await run(['--kubeconfig', file, 'thing', 'open'], { ...debug.io, commands: opens }), 0);
    assert.equal(await run(['--kubeconfig', file, 'thing', 'open'], { ...debug.io, commands: opens }), 0);
    assert.equal(debug.err(), `terrarium: note: Context "prod" gets its credentials by running: my-login get-token --client-secret [redacted] (exec plugin of user "u" in ${file}).\n`);
  });

  test('a refused context is an error with its fix, and its name is escaped', async () => {
    const file = path.join(dir, 'gcp.yaml');
    fs.writeFileSync(file, [
      'clusters:', '- name: c', '  cluster: {server: "https://127.0.0.1:6443"}',
      'users:', '- name: u', '  user: {auth-provider: {name: gcp, config: {cmd-path: /bin/sh, cmd-args: "-c id"}}}',
      'contexts:', '- name: gke', '  context: {cluster: c, user: u}', '- name: "evil\\u001b]52;c;aGk=\\u0007"', '  context: {cluster: c, user: u}',
      'current-context: gke', '',
    ].join('\n'));
    const a = io();
    assert.equal(await run(['--kubeconfig', file, 'thing', 'open'], { ...a.io, commands: opens }), 1);
    assert.match(a.err(), /^terrarium: The gcp auth plugin has been removed \(user "u" in .*\)\. Please use the "gke-gcloud-auth-plugin" kubectl\/client-go credential plugin instead\.\n/);
    const b = io();
    assert.equal(await run(['--kubeconfig', file, '--context', 'evil\x1b]52;c;aGk=\x07', 'thing', 'open'], { ...b.io, commands: opens }), 1);
    assert.ok(!b.err().includes('\x1b') && !b.err().includes('\x07'), `no raw escape reaches the terminal: ${JSON.stringify(b.err())}`);
    assert.match(b.err(), /has a control character in its name/);
  });
});
