/**
 * `terrarium ssh --user alice` by an admin: the claim acts for alice, and so must ssh's ProxyCommand.
 * The target file prepareConnection writes carries actAs, and ssh-proxy port-forwards impersonating
 * alice, so the API server checks alice's access (the controller's per-sandbox grant), not the
 * admin's (whose Role has no pods/portforward). On kube-sim over HTTPS with the platform installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { discoverKubeconfig, openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';
import { createEnvironment } from '../../src/core/devenv';
import { prepareConnection } from '../../src/core/connect/prepare';
import { sshPaths } from '../../src/core/ssh/sshconfig';
import { readTarget } from '../../src/core/ssh/targets';
import { TerrariumController } from '../../src/core/controller/controller';
import { controllerUsername } from '../../src/core/controller/manifests';
import { run } from '../../src/cli/run';
import { sshProxyCommand } from '../../src/cli/commands/ssh-proxy';
import { capturedStreams } from '../unit/testIo';
import { eventually } from './harness';

const NS = 'team';
const ENV = 'web';
const SA = controllerUsername(NS);

describe('ssh --user: the ProxyCommand acts for the user too', { timeout: 300_000 }, () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;
  const clusters: Record<string, Cluster> = {};
  let stopController: (() => Promise<void>) | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-actas-'));
    sim = await startKubeSim({ tls: true });
    sim.users.add('alice', ['terrarium-users']);
    sim.users.add('admin', ['terrarium-admins']);
    sim.users.add(SA, ['system:serviceaccounts', `system:serviceaccounts:${NS}`]);
    kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: NS, users: ['alice', 'admin', SA] });
    const open = (context: string) => openCluster({ discovery: discoverKubeconfig({ explicitPath: kubeconfig, env: {} }), context, namespace: NS, env: {} });
    for (const c of ['kube-sim', 'alice', 'admin', SA]) clusters[c] = open(c);
    const io = capturedStreams();
    const code = await run(['platform', 'install', '--kubeconfig', kubeconfig, '--context', 'kube-sim', '--namespace', NS], {
      stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(), env: { XDG_STATE_HOME: dir }, signal: new AbortController().signal,
    });
    assert.equal(code, 0, io.err());
    const ac = new AbortController();
    const ctl = new TerrariumController({ cluster: clusters[SA]!, identity: 'controller-0', log: () => {}, signal: ac.signal });
    const done = ctl.run();
    stopController = async () => { ac.abort(); await done; };
    await eventually(async () => ctl.isLeader, 'the controller leads', 20_000, 20);
    await createEnvironment(clusters.admin!, { name: ENV, replicas: 1, image: process.env.TERRARIUM_TEST_IMAGE ?? 'terrarium/devenv:dev' });
    await sim.waitPodReady(NS, `${ENV}-0`, 120_000);
  });
  after(async () => {
    await stopController?.();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the target file says actAs alice and ssh-proxy port-forwards as alice (sshd answers)', async () => {
    const stateDir = join(dir, 'state');
    const prepared = await prepareConnection(clusters.admin!, `${ENV}-0`, {
      user: 'alice', stateDir, proxy: { node: process.execPath, cli: 'dist/cli.js' }, noInclude: true, homeDir: dir,
    });
    assert.equal(prepared.claim.user, 'alice');
    const targetsDir = sshPaths(stateDir).targetsDir;
    const ids = readdirSync(targetsDir).map((f) => f.replace(/\.json$/, ''));
    assert.equal(ids.length, 1);
    const target = readTarget(targetsDir, ids[0]!);
    assert.equal(target.actAs, 'alice');
    assert.equal(target.pod, `${ENV}-0`);

    const forwards: { user: string | undefined; status?: number }[] = [];
    const stop = sim.requests.observe((r) => {
      if (!r.path.endsWith('/portforward')) return;
      const seen: { user: string | undefined; status?: number } = { user: r.headers['impersonate-user'] as string | undefined };
      forwards.push(seen);
      return (res) => { seen.status = res.statusCode; };
    });
    try {
      const stdin = new PassThrough();
      const io = capturedStreams();
      const done = sshProxyCommand(['--target-dir', targetsDir, '--target', ids[0]!], { stdout: io.stdout, stderr: io.stderr, env: {}, stdin });
      const banner = await Promise.race([done.then(() => false), eventually(async () => io.out().includes('SSH-2.0-') || undefined, 'the sshd banner', 30_000, 20)]);
      stdin.end();
      const code = await done;
      assert.equal(banner, true, `sshd answered through the proxy (exit ${code}): ${io.err()}`);
      assert.ok(forwards.length > 0, 'a port-forward was asked for');
      assert.ok(forwards.every((f) => f.user === 'alice'), `every port-forward carried Impersonate-User: alice (${JSON.stringify(forwards)})`);
    } finally {
      stop();
    }
  });
});
