/**
 * terrarium cluster: which provider kind gets, and what a person reads when kind, docker or podman
 * is missing or docker is a client without an engine (as on the machines this suite runs on). The
 * tools are recording fakes on PATH (test/integration/localcluster-fakes.ts); PATH holds only them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { detectLocalTools } from '../../src/core/localCluster/tools';
import { KIND_NODE_IMAGE, nodeImageMinor, renderKindConfig, validateClusterName } from '../../src/core/localCluster/kindConfig';
import { kubeconfigTarget } from '../../src/core/localCluster/manage';
import { isTerrariumError, type TerrariumError } from '../../src/core/kube/errors';
import { run } from '../../src/cli/run';
import { capturedStreams } from './testIo';
import { makeFakes } from '../integration/localcluster-fakes';

async function refused(p: Promise<unknown>): Promise<TerrariumError> {
  try { await p; } catch (e) { if (isTerrariumError(e)) return e; throw e; }
  assert.fail('expected a TerrariumError');
}

test('kind missing: says so and how to install it; nothing is run', async (t) => {
  const f = makeFakes(['docker']);
  t.after(() => f.cleanup());
  const e = await refused(detectLocalTools(f.env()));
  assert.equal(e.code, 'NotFound');
  assert.equal(e.message, 'kind is not installed (not found on PATH).');
  assert.match(e.hint!, /go install sigs\.k8s\.io\/kind@v0\.26\.0.*brew install kind/);
  assert.deepEqual(f.argvs(), []);
});

test('neither docker nor podman: says both ways to install one', async (t) => {
  const f = makeFakes(['kind']);
  t.after(() => f.cleanup());
  const e = await refused(detectLocalTools(f.env()));
  assert.match(e.message, /Neither docker nor podman is installed/);
  assert.match(e.hint!, /Install Docker Engine .*Install Podman/);
});

test('docker is a client without an engine: docker info fails, the message says so and how to fix it; kind is never run', async (t) => {
  const f = makeFakes(['kind', 'docker'], { engine: { docker: false, podman: false } });
  t.after(() => f.cleanup());
  const io = capturedStreams();
  const code = await run(['cluster', 'create'], { stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(), env: f.env(), signal: new AbortController().signal });
  assert.equal(code, 1);
  assert.match(io.err(), /docker is installed but its engine does not answer: `docker info` failed \(Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock\. Is the docker daemon running\?\): a docker client with no engine behind it\./);
  assert.match(io.err(), /sudo systemctl start docker.*Docker Desktop.*Podman works too/s);
  assert.deepEqual(f.argvs(), [['docker', 'info']]);
});

test('docker without an engine but a working podman: podman, said once, and kind is told KIND_EXPERIMENTAL_PROVIDER=podman', async (t) => {
  const f = makeFakes(['kind', 'docker', 'podman'], { engine: { docker: false, podman: true } });
  t.after(() => f.cleanup());
  const tools = await detectLocalTools(f.env());
  assert.equal(tools.provider, 'podman');
  assert.equal(tools.kindEnv.KIND_EXPERIMENTAL_PROVIDER, 'podman');
  assert.match(tools.notes.join(), /docker has no running engine .*using podman/);
  // And through the CLI: the list is asked of kind with the podman provider.
  const io = capturedStreams();
  assert.equal(await run(['cluster', 'list'], { stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(), env: f.env(), signal: new AbortController().signal }), 0, io.err());
  assert.match(io.out(), /No kind clusters \(podman\)/);
  assert.deepEqual(f.calls().filter((c) => c.tool === 'kind').map((c) => c.provider), ['podman']);
});

test('only podman present: podman; only docker: docker; a podman that fails says what to do', async (t) => {
  const p = makeFakes(['kind', 'podman']);
  const d = makeFakes(['kind', 'docker']);
  const broken = makeFakes(['kind', 'podman'], { engine: { docker: false, podman: false } });
  t.after(() => { p.cleanup(); d.cleanup(); broken.cleanup(); });
  assert.equal((await detectLocalTools(p.env())).kindEnv.KIND_EXPERIMENTAL_PROVIDER, 'podman');
  assert.equal((await detectLocalTools(d.env())).kindEnv.KIND_EXPERIMENTAL_PROVIDER, 'docker');
  const e = await refused(detectLocalTools(broken.env()));
  assert.match(e.message, /podman is installed but does not work: `podman info` failed \(Error: unable to connect to Podman socket/);
  assert.match(e.hint!, /podman machine start/);
});

test('the provider asked for must be present; KIND_EXPERIMENTAL_PROVIDER is honoured, and one we do not drive is refused', async (t) => {
  const f = makeFakes(['kind', 'docker', 'podman']);
  t.after(() => f.cleanup());
  assert.equal((await detectLocalTools(f.env({ KIND_EXPERIMENTAL_PROVIDER: 'podman' }))).provider, 'podman');
  assert.equal((await detectLocalTools(f.env(), 'podman')).provider, 'podman');
  const e = await refused(detectLocalTools(f.env({ KIND_EXPERIMENTAL_PROVIDER: 'nerdctl' })));
  assert.equal(e.code, 'InvalidInput');
  assert.match(e.hint!, /--provider docker\|podman/);
  const only = makeFakes(['kind', 'docker']);
  t.after(() => only.cleanup());
  const missing = await refused(detectLocalTools(only.env(), 'podman'));
  assert.equal(missing.message, 'podman is not installed (not found on PATH).');
});

test('the kind config: one node, a kindest/node image pinned by digest, Kubernetes 1.30 or newer', () => {
  assert.match(KIND_NODE_IMAGE, /^kindest\/node:v1\.\d+\.\d+@sha256:[a-f0-9]{64}$/);
  assert.ok(nodeImageMinor(KIND_NODE_IMAGE)! >= 30, 'ValidatingAdmissionPolicy v1 is GA from 1.30');
  const yaml = renderKindConfig();
  assert.equal(yaml.match(/- role:/g)!.length, 1);
  assert.match(yaml, /^kind: Cluster$/m);
  assert.match(yaml, /^apiVersion: kind\.x-k8s\.io\/v1alpha4$/m);
  assert.throws(() => renderKindConfig({ nodeImage: 'kindest/node:v1.29.14' }), /Kubernetes 1\.29; Terrarium's claim policy needs 1\.30 or newer/);
  assert.throws(() => renderKindConfig({ nodeImage: 'kindest/node:v1.32.0; rm -rf /' }), /not an image reference/);
  assert.throws(() => validateClusterName('Bad_Name'), /not a kind cluster name/);
});

test('the kubeconfig kind writes into: --kubeconfig, else KUBECONFIG\'s first file, else ~/.kube/config', () => {
  assert.equal(kubeconfigTarget('/a/k:/b/k', { KUBECONFIG: '/c/k' }, '/home/u'), '/a/k');
  assert.equal(kubeconfigTarget(undefined, { KUBECONFIG: '/c/k:/d/k' }, '/home/u'), '/c/k');
  assert.equal(kubeconfigTarget(undefined, {}, '/home/u'), '/home/u/.kube/config');
  assert.equal(kubeconfigTarget('~/kc', {}, '/home/u'), '/home/u/kc');
});

test('kind create cluster failing: its reason, what to do, and nothing after it runs', async (t) => {
  const f = makeFakes(['kind', 'docker'], { failCreate: 'ERROR: failed to create cluster: failed to pull image "kindest/node:v1.32.0": command "docker pull kindest/node:v1.32.0" failed with error: exit status 1' });
  t.after(() => f.cleanup());
  const io = capturedStreams();
  const code = await run(['cluster', 'create', '--kubeconfig', `${f.dir}/kc`], { stdout: io.stdout, stderr: io.stderr, stdin: new PassThrough(), env: f.env(), signal: new AbortController().signal });
  assert.equal(code, 1);
  assert.match(io.err(), /kind could not create cluster "terrarium": ERROR: failed to create cluster: failed to pull image/);
  assert.match(io.err(), /kind delete cluster --name terrarium/);
  assert.deepEqual(f.argvs().map((a) => a.slice(0, 3).join(' ')), ['docker info', 'kind get clusters', 'kind create cluster']);
});
