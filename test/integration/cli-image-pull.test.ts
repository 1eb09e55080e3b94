/**
 * Image pull failures explained with the fix (issue 12 §1): on kube-sim, a sandbox whose image the
 * node does not have goes ErrImagePull/ImagePullBackOff (the kubelet's "not found" words); the CLI's
 * sandbox list and status, and the --wait timeout, say why and what to do (build and push,
 * --image), and so does the core status the tree and panel show. Unauthorized and wrong-architecture
 * pulls use the kubelet's words for those (markPodPending) and get their own fix.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { run } from '../../src/cli/run';
import { createEnvironment, listSandboxes } from '../../src/core/devenv';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { capturedStreams } from '../unit/testIo';

const NS = 'devenv';
const MISSING = 'registry.example.com/team/devenv:9.9';

describe('image pull failures in the CLI and the core status', { timeout: 120_000 }, () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;

  const cli = async (args: string[]) => {
    const io = capturedStreams();
    const stdin = new PassThrough();
    stdin.end();
    const code = await run([...args, '--kubeconfig', kubeconfig, '-n', NS], { stdout: io.stdout, stderr: io.stderr, stdin, env: { XDG_STATE_HOME: dir }, signal: new AbortController().signal });
    return { code, out: io.out(), err: io.err() };
  };
  const waitFor = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    // A long back-off keeps a pod's state still once set (the sim retries the pull after it).
    sim = await startKubeSim({ runtime: false, backoffMs: 600_000 });
    dir = mkdtempSync(join(tmpdir(), 'terrarium-pull-'));
    kubeconfig = join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig, { namespace: NS });
    const cluster = openCluster({ kubeconfigPath: kubeconfig, namespace: NS, env: {} });
    await createEnvironment(cluster, { name: 'miss', replicas: 1, image: MISSING });
    await waitFor('miss-0 ImagePullBackOff', async () => (await listSandboxes(cluster, 'miss')).some((s) => s.status.reason === 'ImagePullBackOff'));
  });
  after(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('manifest not found: sandbox list and status say the image does not exist and to build and push it or use --image', async () => {
    const list = await cli(['sandbox', 'list', 'miss']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /ImagePullBackOff/);
    assert.match(list.out, /registry\.example\.com\/team\/devenv:9\.9 does not exist in its registry/);
    assert.match(list.out, /terrarium image build --tag registry\.example\.com\/team\/devenv:9\.9 --push/);
    assert.match(list.out, /terrarium env update ENV --image IMAGE/);
    const json = JSON.parse((await cli(['sandbox', 'list', 'miss', '--json'])).out);
    const s = (json.sandboxes ?? json).find((x: { name: string }) => x.name === 'miss-0');
    assert.match(s.message, /Build and push it/);
    const status = await cli(['status']);
    assert.match(status.out + status.err, /miss|ImagePull/);
  });

  test('--wait ends with the pull failure and its fix, not only "0 of 1 ready"', async () => {
    const r = await cli(['env', 'start', 'miss', '--wait', '--timeout', '1']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /0 of 1 sandboxes ready/);
    assert.match(r.err, /does not exist in its registry.*terrarium image build --tag registry\.example\.com\/team\/devenv:9\.9 --push/s);
  });

  test('ssh-proxy to a sandbox waiting for its image: not ready, with the pull\'s fix as the hint (stderr only)', async () => {
    const r = await cli(['ssh-proxy', '--pod', 'miss-0']);
    assert.equal(r.code, 1, r.err);
    assert.equal(r.out, '');
    assert.match(r.err, /Sandbox miss-0 is not ready: Pending \(ImagePullBackOff/);
    assert.match(r.err, /The image cannot be pulled: registry\.example\.com\/team\/devenv:9\.9 does not exist in its registry \(no such repository or tag\)\. Build and push it/);
  });

  test('unauthorized and wrong architecture get their own fix (imagePullSecrets; a build for the node\'s platform)', async () => {
    const cluster = openCluster({ kubeconfigPath: kubeconfig, namespace: NS, env: {} });
    await createEnvironment(cluster, { name: 'priv', replicas: 1, image: MISSING });
    await createEnvironment(cluster, { name: 'arch', replicas: 1, image: MISSING });
    await waitFor('pods', async () => (await listSandboxes(cluster, 'arch')).length === 1 && (await listSandboxes(cluster, 'priv')).length === 1);
    sim.markPodPending(NS, 'priv-0', 'ErrImagePull', `failed to pull and unpack image "${MISSING}": failed to authorize: failed to fetch anonymous token: unexpected status from GET request: 401 Unauthorized`);
    sim.markPodPending(NS, 'arch-0', 'ErrImagePull', `failed to pull and unpack image "${MISSING}": no match for platform in manifest: not found`);
    await waitFor('states', async () => (await listSandboxes(cluster, 'arch'))[0]?.status.message?.includes('no match') === true
      && (await listSandboxes(cluster, 'priv'))[0]?.status.message?.includes('401') === true);
    const priv = (await listSandboxes(cluster, 'priv'))[0]!.status;
    assert.equal(priv.phase, 'ImagePullBackOff');
    assert.match(priv.message!, /refused to serve .* without credentials/);
    assert.match(priv.message!, /imagePullSecrets/);
    const arch = (await cli(['sandbox', 'list', 'arch'])).out;
    assert.match(arch, /no build for the node's architecture/);
    assert.doesNotMatch(arch, /does not exist in its registry/, 'wrong architecture is not "not found"');
  });
});
