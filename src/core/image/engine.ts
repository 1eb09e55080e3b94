/**
 * Which container engine builds the devenv image, and the exact command lines it runs. Pure: the
 * plan is data (argv arrays, never shell strings), so the CLI shows it and tests check it.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TerrariumError } from '../kube/errors';

export const ENGINES = ['docker', 'podman', 'nerdctl', 'buildah'] as const;
export type ImageEngine = (typeof ENGINES)[number];

export function isEngine(s: string): s is ImageEngine {
  return (ENGINES as readonly string[]).includes(s);
}

/** The executable `name` on PATH, or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

/**
 * Whether a daemon-based engine can build: `docker info` / `nerdctl info` fail when the client has
 * no daemon to talk to (a docker CLI without an engine is common). Returns why not, or undefined.
 */
export type EngineProbe = (engine: ImageEngine) => Promise<string | undefined>;

const DAEMON_ENGINES: ReadonlySet<ImageEngine> = new Set(['docker', 'nerdctl']);

/**
 * The engine asked for (it must be on PATH), else the first of docker, podman, nerdctl, buildah
 * that is present and, for docker and nerdctl, reaches its daemon. `skipped` hears each one passed over.
 */
export async function detectEngine(env: NodeJS.ProcessEnv, wanted?: ImageEngine, probe?: EngineProbe,
  skipped?: (engine: ImageEngine, why: string) => void): Promise<ImageEngine> {
  if (wanted) {
    if (!onPath(wanted, env)) {
      throw new TerrariumError('NotFound', `${wanted} is not installed (not found on PATH).`,
        `Install ${wanted}, or leave out --engine to use whichever of ${ENGINES.join(', ')} is present.`);
    }
    return wanted;
  }
  const present = ENGINES.filter((e) => onPath(e, env));
  if (!present.length) {
    throw new TerrariumError('NotFound', `No container engine found: none of ${ENGINES.join(', ')} is on PATH.`,
      'Install Docker, Podman, nerdctl (with BuildKit) or Buildah, then run terrarium image build again.');
  }
  const reasons: string[] = [];
  for (const e of present) {
    const why = probe && DAEMON_ENGINES.has(e) ? await probe(e) : undefined;
    if (!why) return e;
    reasons.push(`${e}: ${why}`);
    skipped?.(e, why);
  }
  throw new TerrariumError('NotReady', `No container engine can build here: ${reasons.join('; ')}.`,
    'Start the engine\'s daemon (e.g. the Docker service), or install Podman or Buildah, which need none.');
}

/** Where --ca-file appears inside RUN steps (the Dockerfile's BUILD_CA_FILE). */
const CA_MOUNT = '/run/terrarium/ca.crt';

export interface BuildOptions {
  engine: ImageEngine;
  /** The folder with the Dockerfile (manifests/image). */
  context: string;
  tag: string;
  /** Build arguments, e.g. BASE (the base image) and VERSION (an OCI label). */
  buildArgs?: Record<string, string>;
  push?: boolean;
  /** Load the image into this kind cluster's nodes. */
  kindLoad?: string;
  /**
   * A CA bundle to trust while downloading in RUN steps (a TLS-inspecting proxy); mounted for the
   * build only, never copied into the image. podman and buildah only: docker build cannot mount files.
   */
  caFile?: string;
  /** Where an engine without `kind load docker-image` support writes the image archive for kind. */
  archivePath?: string;
}

export interface Step {
  /** What it does, for progress lines: "build", "push", "save", "kind load". */
  what: string;
  argv: string[];
}

/** An image reference: registry/repo[:tag][@digest], no spaces or shell characters. */
const REFERENCE = /^[a-z0-9][a-z0-9._\-/:]*(@sha256:[a-f0-9]{64})?$/i;

export function validateTag(tag: string): void {
  if (!REFERENCE.test(tag) || tag.includes('//')) {
    throw new TerrariumError('InvalidInput', `The tag ${JSON.stringify(tag)} is not an image reference.`,
      'Use a reference such as "ghcr.io/OWNER/terrarium-devenv:1.2.3" or "terrarium-devenv:dev".');
  }
}

export function buildPlan(o: BuildOptions): Step[] {
  validateTag(o.tag);
  const args = Object.entries(o.buildArgs ?? {}).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
  if (o.caFile) {
    if (o.engine !== 'podman' && o.engine !== 'buildah') {
      throw new TerrariumError('InvalidInput', `--ca-file needs podman or buildah: ${o.engine} build cannot mount a file into RUN steps.`,
        'Use --engine podman or --engine buildah, or build where the registries are reachable without the proxy.');
    }
    args.push('-v', `${o.caFile}:${CA_MOUNT}:ro`, '--build-arg', `BUILD_CA_FILE=${CA_MOUNT}`);
  }
  const dockerfile = join(o.context, 'Dockerfile');
  const steps: Step[] = [];
  // buildah's own verb is `bud`; the others take docker's `build`. BUILDAH_ISOLATION and
  // STORAGE_DRIVER from the environment still apply (unprivileged containers need chroot/vfs).
  const verb = o.engine === 'buildah' ? 'bud' : 'build';
  steps.push({ what: 'build', argv: [o.engine, verb, '-f', dockerfile, '-t', o.tag, ...args, o.context] });
  if (o.push) {
    steps.push({ what: 'push', argv: o.engine === 'buildah' ? ['buildah', 'push', o.tag, `docker://${o.tag}`] : [o.engine, 'push', o.tag] });
  }
  if (o.kindLoad) {
    if (o.engine === 'docker') {
      steps.push({ what: 'kind load', argv: ['kind', 'load', 'docker-image', o.tag, '--name', o.kindLoad] });
    } else {
      // kind reads images from docker only; the others hand it a docker-format archive.
      const archive = o.archivePath;
      if (!archive) throw new Error('archivePath is required to load into kind with ' + o.engine);
      const save: Record<Exclude<ImageEngine, 'docker'>, string[]> = {
        podman: ['podman', 'save', '--format', 'docker-archive', '-o', archive, o.tag],
        nerdctl: ['nerdctl', 'save', '-o', archive, o.tag],
        buildah: ['buildah', 'push', o.tag, `docker-archive:${archive}:${o.tag}`],
      };
      steps.push({ what: 'save', argv: save[o.engine] });
      steps.push({ what: 'kind load', argv: ['kind', 'load', 'image-archive', archive, '--name', o.kindLoad] });
    }
  }
  return steps;
}
