// The attack, as a user would meet it: a kubeconfig whose context name carries shell and
// ssh_config syntax, and `terrarium ssh-config ENV --write` (the bundled CLI, writeSshConfig,
// ensureInclude) against kube-sim. Afterwards the user's own ssh keeps working as before, nothing
// ran, and the sandbox's ProxyCommand is only the launcher and an opaque target id.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEnvironment } from '../../src/core/devenv';
import { readTarget } from '../../src/core/ssh/targets';
import { hostAlias } from '../../src/core/ssh/sshconfig';
import { eventually, getTestCluster, runCli, type TestCluster } from './harness';

const ENV = 'hx';
const USER_CONFIG = 'Host github.com\n  User git\n';

describe('terrarium ssh-config --write with a hostile kubeconfig context (kube-sim, real ssh -G)', () => {
  let tc: TestCluster;
  let dir: string;
  before(async () => {
    tc = await getTestCluster();
    dir = mkdtempSync(join(tmpdir(), 'terrarium-hostile-ctx-'));
    await createEnvironment(tc.cluster, { name: ENV, replicas: 2, image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    // ssh-config writes a Host entry for a sandbox once its own host key is read and pinned: Ready ones.
    await eventually(async () => {
      const pods = await tc.cluster.core.listNamespacedPod({ namespace: tc.namespace, labelSelector: `terrarium.dev/environment=${ENV}` });
      const ready = pods.items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 || undefined;
    }, 'both sandboxes Ready', 120_000);
  });
  after(async () => {
    await tc?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The test cluster's kubeconfig with its context renamed. */
  function kubeconfigWithContext(name: string): string {
    const kc = JSON.parse(tc.cluster.kc.exportConfig()) as { contexts: Array<{ name: string }>; 'current-context': string };
    const cur = kc.contexts.find((c) => c.name === tc.context)!;
    cur.name = name;
    kc['current-context'] = name;
    const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, JSON.stringify(kc), { mode: 0o600 });
    return file;
  }

  async function attack(rawName: string) {
    const home = mkdtempSync(join(dir, 'home-'));
    const mark = join(home, 'MARKED');
    const name = rawName.replaceAll('MARK', mark);
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'config'), USER_CONFIG);
    const kubeconfig = kubeconfigWithContext(name);
    const r = await runCli(['ssh-config', ENV, '--write', '--kubeconfig', kubeconfig, '--context', name, '--namespace', tc.namespace],
      { env: { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') } });
    const ssh = (args: string[]) => spawnSync('ssh', ['-G', '-F', join(home, '.ssh', 'config'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home } });
    const gh = ssh(['github.com']);
    assert.equal(gh.status, 0, gh.stderr);
    assert.match(gh.stdout, /^user git$/m, 'the user\'s own host is unchanged');
    assert.doesNotMatch(gh.stdout, /^proxycommand /m);
    assert.equal(existsSync(mark), false, 'nothing ran while ssh read the config');
    return { r, name, home, ssh, kubeconfig };
  }

  test('shell and ssh_config syntax in the context name: written, parsed, inert', async () => {
    const { r, name, home, ssh, kubeconfig } = await attack('prod "eu" $(touch MARK) `touch MARK` %d it\'s; Match exec "touch MARK" #x');
    assert.equal(r.code, 0, r.stderr);
    const state = join(home, 'xdg', 'terrarium');
    for (const sandbox of [`${ENV}-0`, `${ENV}-1`]) {
      const g = ssh([hostAlias(name, tc.namespace, sandbox)]);
      assert.equal(g.status, 0, g.stderr);
      const proxy = /^proxycommand (.*)$/m.exec(g.stdout)?.[1] ?? '';
      const m = / ssh-proxy --target-dir (\S+) --target ([0-9a-f]{32})$/.exec(proxy);
      assert.ok(m, proxy);
      assert.ok(!proxy.includes('prod') && !proxy.includes('touch'), 'no part of the name on the line');
      assert.equal(m[1], join(state, 'targets'));
      assert.deepEqual(readTarget(m[1]!, m[2]!), { kubeconfig, context: name, namespace: tc.namespace, pod: sandbox, port: 2222 });
    }
    for (const f of readdirSync(join(state, 'config.d'))) {
      assert.match(readFileSync(join(state, 'config.d', f), 'utf8'), /^[\x20-\x7e\n]*$/, 'printable ASCII only');
    }
  });

  test('the issue\'s context (backslash, quote, newline, Match exec): refused or inert, never run', async (t) => {
    // Refused at kubeconfig discovery where names with control characters are rejected; where they
    // are not (yet), the ssh layer alone must keep it inert.
    const { r, name, ssh } = await attack('"\\\'\nMatch exec "touch MARK"\n#');
    t.diagnostic(r.code === 0 ? 'written (kubeconfig discovery let the name through): checked inert' : 'refused at kubeconfig discovery');
    if (r.code !== 0) {
      assert.match(r.stderr, /control character/i);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      return;
    }
    const g = ssh([hostAlias(name, tc.namespace, `${ENV}-0`)]);
    assert.equal(g.status, 0, g.stderr);
    assert.match(g.stdout, /^proxycommand \S+ \S+ ssh-proxy --target-dir \S+ --target [0-9a-f]{32}$/m);
  });
});
