/**
 * `terrarium cluster create|list|stop|start|delete` from nothing to a Ready sandbox. kind, docker
 * and podman are recording fakes on PATH (localcluster-fakes.ts): what they were asked is checked
 * argv by argv. The kubeconfig the fake `kind create cluster` writes points at a kube-sim started
 * here, so everything after the cluster exists (platform install, the environment, the sandbox
 * turning Ready with its real sshd) runs for real through Terrarium's own code against kube-sim.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startKubeSim, type KubeSim } from '../kube-sim/index';
import { run } from '../../src/cli/run';
import { DEFAULT_IMAGE } from '../../src/core/devenv/names';
import { controllerImageOf } from '../../src/core/platform/names';
import { KIND_NODE_IMAGE } from '../../src/core/localCluster';
import { capturedStreams } from '../unit/testIo';
import { makeFakes, type Fakes } from './localcluster-fakes';
import { version } from '../../package.json';

const CONTROLLER_IMAGE = controllerImageOf(version);
let sim: KubeSim;
let dir: string;

async function cli(fakes: Fakes, args: string[], opts: { tty?: boolean; input?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const io = capturedStreams();
  const stdin = Object.assign(new PassThrough(), { isTTY: opts.tty });
  if (opts.input !== undefined) stdin.end(opts.input);
  const code = await run(args, {
    stdout: io.stdout, stderr: io.stderr, stdin, env: fakes.env({ XDG_STATE_HOME: join(fakes.dir, 'state') }), homeDir: fakes.dir, signal: new AbortController().signal,
  } as Parameters<typeof run>[1]);
  return { code, out: io.out(), err: io.err() };
}

describe('terrarium cluster (kind, docker and podman faked; the cluster is kube-sim)', { timeout: 240_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'terrarium-localcluster-'));
    sim = await startKubeSim({});
  });
  after(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('create with docker: kind cluster, image load, platform, environment and a Ready sandbox in one command', async (t) => {
    const fakes = makeFakes(['kind', 'docker'], { images: [DEFAULT_IMAGE] });
    t.after(() => fakes.cleanup());
    const source = join(dir, 'kind-terrarium.kubeconfig');
    sim.writeKubeconfig(source, { context: 'kind-terrarium' });
    fakes.setState({ kubeconfigSource: source });
    const kubeconfig = join(fakes.dir, 'home', '.kube', 'config');

    const r = await cli(fakes, ['cluster', 'create', '--kubeconfig', kubeconfig, '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.cluster, 'terrarium');
    assert.equal(j.provider, 'docker');
    assert.equal(j.context, 'kind-terrarium');
    assert.equal(j.namespace, 'devenv');
    assert.equal(j.sandbox, 'dev-0');
    assert.equal(j.environment.ready, 1);
    assert.deepEqual(j.image, { ref: DEFAULT_IMAGE, built: false, loaded: true });
    assert.deepEqual(j.controllerImage, { ref: CONTROLLER_IMAGE, loaded: false });
    // Progress lines on stderr, kind's own output with them; stdout is the one JSON document.
    for (const line of [/Creating kind cluster "terrarium" with docker/, /Ensuring node image/, /Loading .* into the cluster's node/,
      /Installing the Terrarium platform in namespace "devenv"/, /Creating environment "dev"/, /Waiting for dev-0 to be Ready/]) {
      assert.match(r.err, line);
    }

    const calls = fakes.calls();
    const config = calls.find((c) => c.argv[0] === 'create')!.config!;
    const configPath = calls.find((c) => c.argv[0] === 'create')!.argv[5]!;
    assert.deepEqual(fakes.argvs(), [
      ['docker', 'info'],
      ['kind', 'get', 'clusters'],
      ['kind', 'create', 'cluster', '--name', 'terrarium', '--config', configPath, '--kubeconfig', kubeconfig],
      ['docker', 'image', 'inspect', '-f', '{{.Id}}', DEFAULT_IMAGE],
      ['kind', 'load', 'docker-image', DEFAULT_IMAGE, '--name', 'terrarium'],
      ['docker', 'image', 'inspect', '-f', '{{.Id}}', CONTROLLER_IMAGE],
    ]);
    assert.ok(calls.filter((c) => c.tool === 'kind').every((c) => c.provider === 'docker'), 'kind is told the provider');
    assert.match(configPath, /kind-config\.yaml$/);
    assert.ok(!existsSync(configPath), 'the temporary kind config is removed');
    assert.equal(config, ['# Written by terrarium cluster create: one node; kind installs its default StorageClass ("standard").',
      'kind: Cluster', 'apiVersion: kind.x-k8s.io/v1alpha4', 'nodes:', '- role: control-plane', `  image: ${KIND_NODE_IMAGE}`, ''].join('\n'));

    // What ran for real, on kube-sim: the platform and the environment.
    const ns = sim.objects.get('namespaces', undefined, 'devenv');
    assert.equal(ns.metadata.labels['terrarium.dev/platform'], 'true');
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.ok(sim.objects.get('validatingadmissionpolicies.admissionregistration.k8s.io', undefined, 'terrarium-claims'));
    assert.equal(sim.objects.get('statefulsets.apps', 'devenv', 'dev').spec.template.spec.containers[0].image, DEFAULT_IMAGE);
    const pod = sim.objects.get('pods', 'devenv', 'dev-0');
    assert.equal(pod.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');

    // Once more: the cluster exists, nothing is created.
    fakes.clearCalls();
    const again = await cli(fakes, ['cluster', 'create', '--kubeconfig', kubeconfig]);
    assert.equal(again.code, 1);
    assert.match(again.err, /A kind cluster named "terrarium" already exists \(context kind-terrarium\)/);
    assert.match(again.err, /terrarium cluster delete terrarium/);
    assert.deepEqual(fakes.argvs(), [['docker', 'info'], ['kind', 'get', 'clusters']]);

    // list, stop, start.
    const list = await cli(fakes, ['cluster', 'list', '--json']);
    assert.deepEqual(JSON.parse(list.out), { provider: 'docker', clusters: [{ name: 'terrarium', context: 'kind-terrarium' }] });
    fakes.clearCalls();
    const stop = await cli(fakes, ['cluster', 'stop']);
    assert.equal(stop.code, 0, stop.err);
    assert.match(stop.out, /Stopped kind cluster "terrarium".*environments and workspaces are kept/);
    const start = await cli(fakes, ['cluster', 'start', 'terrarium']);
    assert.equal(start.code, 0, start.err);
    assert.deepEqual(fakes.argvs().filter((a) => a[0] === 'docker' && a[1] !== 'info'),
      [['docker', 'stop', 'terrarium-control-plane'], ['docker', 'start', 'terrarium-control-plane']]);
    assert.deepEqual(fakes.state().stopped, []);
    const missing = await cli(fakes, ['cluster', 'stop', 'other']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /There is no kind cluster named "other" \(docker\)\.\s+Kind clusters here: terrarium\./);

    // delete asks: no terminal and no --yes is exit 2 and nothing deleted; a terminal's "n" keeps it; --yes deletes.
    fakes.clearCalls();
    const noYes = await cli(fakes, ['cluster', 'delete']);
    assert.equal(noYes.code, 2);
    assert.match(noYes.err, /deletes every environment and workspace in it.*Add --yes/);
    const no = await cli(fakes, ['cluster', 'delete'], { tty: true, input: 'n\n' });
    assert.equal(no.code, 1);
    assert.match(no.err, /Nothing was deleted/);
    assert.ok(!fakes.argvs().some((a) => a[1] === 'delete'), 'kind delete was never run');
    const yes = await cli(fakes, ['cluster', 'delete', 'terrarium', '--yes', '--kubeconfig', kubeconfig]);
    assert.equal(yes.code, 0, yes.err);
    assert.match(yes.out, /Deleted kind cluster "terrarium" with its environments and workspaces/);
    assert.deepEqual(fakes.argvs().filter((a) => a[1] === 'delete'), [['kind', 'delete', 'cluster', '--name', 'terrarium', '--kubeconfig', kubeconfig]]);
    const none = await cli(fakes, ['cluster', 'list']);
    assert.match(none.out, /No kind clusters \(docker\)\. Create one with: terrarium cluster create/);
  });

  test('create with only podman: KIND_EXPERIMENTAL_PROVIDER=podman, the missing image built, then loaded through an archive', async (t) => {
    const fakes = makeFakes(['kind', 'podman']);
    t.after(() => fakes.cleanup());
    const source = join(dir, 'kind-pods.kubeconfig');
    sim.writeKubeconfig(source, { context: 'kind-pods' });
    fakes.setState({ kubeconfigSource: source });
    const kubeconfig = join(fakes.dir, 'kubeconfig');

    const r = await cli(fakes, ['cluster', 'create', 'pods', '--env', 'first', '--namespace', 'local', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Local cluster "pods" is ready \(kind on podman; context kind-pods in .*\)\.\nSandbox first-0 of environment "first" is Ready in namespace "local"\./);
    assert.match(r.out, /Connect: terrarium --kubeconfig .* --context kind-pods ssh first-0/);
    assert.match(r.err, /Building the devenv image .* with podman/);

    const argvs = fakes.argvs();
    const build = argvs.find((a) => a[1] === 'build')!;
    const archive = argvs.find((a) => a[1] === 'save')![5]!;
    assert.deepEqual(argvs, [
      ['podman', 'info'],
      ['kind', 'get', 'clusters'],
      ['kind', 'create', 'cluster', '--name', 'pods', '--config', argvs[2]![6]!, '--kubeconfig', kubeconfig],
      ['podman', 'image', 'exists', DEFAULT_IMAGE],
      build,
      ['podman', 'save', '--format', 'docker-archive', '-o', archive, DEFAULT_IMAGE],
      ['kind', 'load', 'image-archive', archive, '--name', 'pods'],
      ['podman', 'image', 'exists', CONTROLLER_IMAGE],
    ]);
    assert.deepEqual(build.slice(0, 3), ['podman', 'build', '-f']);
    assert.match(build[3]!, /manifests\/image\/Dockerfile$/);
    assert.deepEqual(build.slice(4, 6), ['-t', DEFAULT_IMAGE]);
    assert.ok(fakes.calls().filter((c) => c.tool === 'kind').every((c) => c.provider === 'podman'));
    assert.ok(!existsSync(archive), 'the image archive is removed');
    assert.equal(sim.objects.get('pods', 'local', 'first-0').status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
  });

  test('an image the node cannot pull: the wait ends with the pods\' state and how to fix it, and the cluster is said to be kept', async (t) => {
    const fakes = makeFakes(['kind', 'docker']);
    t.after(() => fakes.cleanup());
    const source = join(dir, 'kind-pull.kubeconfig');
    sim.writeKubeconfig(source, { context: 'kind-pull' });
    fakes.setState({ kubeconfigSource: source });
    const image = 'registry.example/nobody/devenv:1';
    const r = await cli(fakes, ['cluster', 'create', 'pull', '--image', image, '--namespace', 'pull', '--timeout', '6', '--kubeconfig', join(fakes.dir, 'kc')]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, new RegExp(`The image ${image.replace(/[./]/g, '\\$&')} is not on this machine: the node will pull it from its registry\\. To build it here instead: terrarium image build --tag ${image.replace(/[./]/g, '\\$&')} --kind-load pull`));
    assert.match(r.err, /The first sandbox of "dev" is not Ready after 6 s \(dev-0: [^)]*(ErrImagePull|ImagePullBackOff)/);
    assert.match(r.err, /The node cannot pull the image: build and load it \(terrarium image build --kind-load CLUSTER\), or pass --image/);
    assert.match(r.err, /The kind cluster "pull" was created and is kept \(context kind-pull\): go on with terrarium --context kind-pull platform install \/ env create, or start over with terrarium cluster delete pull --yes\./);
    // Not present locally: nothing to load, no build of an image that is not Terrarium's.
    assert.ok(!fakes.argvs().some((a) => a[1] === 'load' || a[1] === 'build'), JSON.stringify(fakes.argvs()));
  });
});

