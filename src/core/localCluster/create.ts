/**
 * `terrarium cluster create`: from nothing to a Ready sandbox on a kind cluster. kind makes the
 * cluster; everything after (platform, environment, the wait) is Terrarium's own core against the
 * new context, exactly as on any cluster.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { discoverKubeconfig, openCluster } from '../kube/kubeconfig';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { pollUntil } from '../kube/waitReady';
import { createEnvironment, getEnvironment, listSandboxes } from '../devenv/operations';
import { DEFAULT_IMAGE, sandboxName } from '../devenv/names';
import { findManifestsDir } from '../devenv/manifests';
import type { Environment } from '../devenv/types';
import { installPlatform } from '../platform/install';
import { renderPlatform } from '../platform/render';
import { controllerImageOf } from '../platform/names';
import { buildPlan } from '../image/engine';
import { runPlan } from '../image/run';
import { contextOf, renderKindConfig, validateClusterName } from './kindConfig';
import { imagePresent, loadImage } from './images';
import { listKindClusters } from './manage';
import { runTool, type LocalTools } from './tools';
import { version as VERSION } from '../../../package.json';

export interface CreateLocalClusterOptions {
  name: string;
  tools: LocalTools;
  /** The kubeconfig kind writes the context into (see kubeconfigTarget). */
  kubeconfig: string;
  /** The Terrarium namespace (default: the context's, else devenv). */
  namespace?: string;
  /** The first environment's name and image. */
  environment: string;
  image?: string;
  nodeImage?: string;
  /** Build the default devenv image when it is not on this machine (off: the node pulls it). */
  build: boolean;
  /** How long to wait for the first sandbox to be Ready. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** One line per step, for people. */
  progress: (line: string) => void;
  /** kind's and the image build's own output. */
  output?: Writable;
}

export interface LocalClusterResult {
  name: string;
  provider: string;
  context: string;
  kubeconfig: string;
  namespace: string;
  image: { ref: string; built: boolean; loaded: boolean };
  controllerImage: { ref: string; loaded: boolean };
  platformObjects: number;
  environment: Environment;
  sandbox: string;
  /** The kind/docker/podman command lines that made something (cluster, image build, loads), in order. */
  commands: string[][];
}

function timeoutError(cluster: Cluster, env: string, timeoutMs: number): () => Promise<Error> {
  return async () => {
    const sandboxes = await listSandboxes(cluster, env).catch(() => []);
    const states = sandboxes.map((s) => `${s.name}: ${[s.status.phase, s.status.reason, s.status.message].filter(Boolean).join(', ')}`);
    const pull = sandboxes.some((s) => /ImagePull|ErrImage/.test(s.status.reason ?? ''));
    return new TerrariumError('Timeout',
      `The first sandbox of "${env}" is not Ready after ${Math.round(timeoutMs / 1000)} s${states.length ? ` (${states.join('; ')})` : ''}.`,
      pull ? 'The node cannot pull the image: build and load it (terrarium image build --kind-load CLUSTER), or pass --image with an image the node can pull.'
        : `Follow it with: terrarium --context ${cluster.context} sandbox list ${env} (the cluster and environment are kept).`);
  };
}

export async function createLocalCluster(o: CreateLocalClusterOptions): Promise<LocalClusterResult> {
  validateClusterName(o.name);
  const { tools, signal, progress } = o;
  const kindConfig = renderKindConfig({ nodeImage: o.nodeImage });
  const image = o.image ?? DEFAULT_IMAGE;
  const commands: string[][] = [];
  const onOutput = o.output ? (b: Buffer) => { o.output!.write(b); } : undefined;
  const context = contextOf(o.name);

  const existing = await listKindClusters(tools, signal);
  if (existing.includes(o.name)) {
    throw new TerrariumError('AlreadyExists', `A kind cluster named "${o.name}" already exists (context ${context}).`,
      `Use it (terrarium --context ${context} status), create another with a new name (terrarium cluster create NAME), or delete it first: terrarium cluster delete ${o.name}`);
  }

  // 1. The cluster. kind writes (merges) its context into the kubeconfig and makes it current.
  progress(`Creating kind cluster "${o.name}" with ${tools.provider} (Kubernetes from ${kindConfig.match(/image: (\S+)/)![1]!.split('@')[0]})…`);
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-kind-'));
  try {
    const configFile = join(dir, 'kind-config.yaml');
    writeFileSync(configFile, kindConfig, { mode: 0o600 });
    mkdirSync(dirname(o.kubeconfig), { recursive: true, mode: 0o700 });
    const argv = ['kind', 'create', 'cluster', '--name', o.name, '--config', configFile, '--kubeconfig', o.kubeconfig];
    commands.push(argv);
    const r = await runTool(argv, { env: tools.kindEnv, signal, onOutput });
    if (r.code !== 0) {
      const why = (r.stderr || r.stdout).split('\n').map((l) => l.trim()).filter((l) => /^ERROR|failed/i.test(l)).slice(-1)[0];
      throw new TerrariumError('Unknown', `kind could not create cluster "${o.name}"${why ? `: ${why}` : ''}.`,
        `kind's output above says why; after fixing it run \`kind delete cluster --name ${o.name}\` if a half-made node is left, then try again.`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // From here on the cluster exists: every failure says so, and how to go on from there.
  try {
    return await afterCreate(o, image, commands, onOutput);
  } catch (e) {
    if (!(e instanceof TerrariumError) || e.code === 'Cancelled') throw e;
    throw new TerrariumError(e.code, e.message, `${e.hint ? `${e.hint} ` : ''}The kind cluster "${o.name}" was created and is kept (context ${context}): `
      + `go on with terrarium --context ${context} platform install / env create, or start over with terrarium cluster delete ${o.name} --yes.`, { cause: e, status: e.status });
  }
}

async function afterCreate(o: CreateLocalClusterOptions, image: string, commands: string[][], onOutput?: (b: Buffer) => void): Promise<LocalClusterResult> {
  const { tools, signal, progress } = o;
  const context = contextOf(o.name);
  // 2. The images: load what this machine has; build the default devenv image when it is missing.
  let built = false;
  let loaded = false;
  const present = await imagePresent(tools, image, signal);
  if (!present) {
    if (o.build && image === DEFAULT_IMAGE) {
      progress(`Building the devenv image ${image} with ${tools.provider} (the first time takes a few minutes; same as \`terrarium image build\`)…`);
      const steps = buildPlan({ engine: tools.provider, context: join(findManifestsDir(), 'image'), tag: image, buildArgs: { VERSION } });
      commands.push(...steps.map((s) => s.argv));
      await runPlan(steps, { env: tools.kindEnv, signal, output: o.output ?? devNull() });
      built = true;
    } else {
      progress(`The image ${image} is not on this machine: the node will pull it from its registry. To build it here instead: terrarium image build --tag ${image} --kind-load ${o.name}`);
    }
  }
  if (present || built) {
    progress(`Loading ${image} into the cluster's node…`);
    commands.push(...await loadImage(tools, o.name, image, { signal, onOutput }));
    loaded = true;
  }
  const controllerImage = controllerImageOf(VERSION);
  let controllerLoaded = false;
  if (await imagePresent(tools, controllerImage, signal)) {
    progress(`Loading ${controllerImage} into the cluster's node…`);
    commands.push(...await loadImage(tools, o.name, controllerImage, { signal, onOutput }));
    controllerLoaded = true;
  }

  // 3. The platform, through the same core as `terrarium platform install`.
  const cluster = openCluster({
    discovery: discoverKubeconfig({ explicitPath: o.kubeconfig, env: {} }), context, namespace: o.namespace, env: {},
  });
  progress(`Installing the Terrarium platform in namespace "${cluster.namespace}"…`);
  const objects = renderPlatform({ namespace: cluster.namespace, version: VERSION });
  await installPlatform(cluster, objects, { signal });

  // 4. A first environment with one sandbox, and the wait for it.
  progress(`Creating environment "${o.environment}" with one sandbox…`);
  await createEnvironment(cluster, { name: o.environment, replicas: 1, image }, { signal });
  progress(`Waiting for ${sandboxName(o.environment, 0)} to be Ready…`);
  const environment = await pollUntil<Environment>(async () => {
    const env = await getEnvironment(cluster, o.environment, { signal });
    return env.ready >= 1 ? { done: true, value: env } : { done: false, reason: `${env.ready} of ${env.desired}` };
  }, timeoutError(cluster, o.environment, o.timeoutMs), { timeoutMs: o.timeoutMs, signal, initialDelayMs: 500, maxDelayMs: 2000 });

  return {
    name: o.name, provider: tools.provider, context, kubeconfig: o.kubeconfig, namespace: cluster.namespace,
    image: { ref: image, built, loaded }, controllerImage: { ref: controllerImage, loaded: controllerLoaded },
    platformObjects: objects.length, environment, sandbox: sandboxName(o.environment, 0), commands,
  };
}

function devNull(): Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}
