/**
 * The devenv image built for real, once per input: mmdebstrap makes a bookworm minbase root
 * filesystem with manifests/image/packages.txt (from Debian's mirrors, as the machine's apt does),
 * buildah turns it into a base image (FROM scratch + ADD), and `terrarium image build --engine
 * buildah --base <it>` builds manifests/image/Dockerfile on it: the same definition CI builds on the
 * registry's Debian slim. Cached by a hash of every input under .tools/image-cache (or
 * TERRARIUM_IMAGE_CACHE), so a test run builds at most once and later runs reuse the image; a lock
 * makes concurrent test files wait for one build instead of starting their own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/run';

const REPO = resolve(__dirname, '../..');
const IMAGE_DIR = join(REPO, 'manifests/image');
const SUITE = 'bookworm';

export interface DevenvImage {
  /** The local image name (localhost/terrarium-devenv-test:<hash>). */
  image: string;
  /** Environment for buildah: vfs storage in the cache, chroot isolation. */
  env: NodeJS.ProcessEnv;
  /** Seconds each stage took in this process (0: taken from the cache). */
  timings: { rootfs: number; base: number; devenv: number; total: number; cached: boolean };
}

/** Why the real build cannot run here, or undefined when it can. */
export function imageBuildSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'the image build needs Linux';
  if (process.getuid?.() !== 0) return 'the image build needs root (mmdebstrap root mode, buildah chroot isolation)';
  for (const tool of ['mmdebstrap', 'buildah', 'unshare', 'nsenter', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (scripts/setup.sh installs mmdebstrap and buildah)`;
  }
  return undefined;
}

function sha256(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

function toolVersion(cmd: string): string {
  return spawnSync(cmd, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** Runs argv; rejects with its output when it fails. */
function exec(argv: string[], env: NodeJS.ProcessEnv = process.env, log?: string): Promise<string> {
  return new Promise((res, rej) => {
    const p = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let all = '';
    p.stdout.on('data', (d: Buffer) => { out += d; all += d; });
    p.stderr.on('data', (d: Buffer) => { all += d; });
    p.on('error', rej);
    p.on('close', (code) => {
      if (log) writeFileSync(log, all, { flag: 'a' });
      if (code === 0) res(out); else rej(new Error(`${argv.join(' ')} exited with ${code}:\n${all.slice(-4000)}`));
    });
  });
}

export function cacheDir(): string {
  return process.env.TERRARIUM_IMAGE_CACHE ?? join(REPO, '.tools', 'image-cache');
}

export function buildahEnv(dir = cacheDir()): NodeJS.ProcessEnv {
  const conf = join(dir, 'storage.conf');
  if (!existsSync(conf)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(conf, `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'storage')}"\nrunroot = "${join(dir, 'run')}"\n`);
  }
  return { ...process.env, CONTAINERS_STORAGE_CONF: conf, STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'chroot' };
}

async function imageExists(image: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return exec(['buildah', 'inspect', '--type', 'image', image], env).then(() => true, () => false);
}

/** One builder at a time across test processes: mkdir is atomic; a lock whose owner died is taken over. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'lock');
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const owner = Number(readFileSync(join(lock, 'pid'), 'utf8').trim() || 0);
      let alive = false;
      try { if (owner) { process.kill(owner, 0); alive = true; } } catch { /* gone */ }
      if (!alive && owner) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`the image build lock ${lock} is still held by ${owner}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try { return await fn(); } finally { rmSync(lock, { recursive: true, force: true }); }
}

/** Every file of manifests/image (name, mode, content): a change to any of them rebuilds. */
function imageInputs(): string {
  const parts: string[] = [];
  for (const name of readdirSync(IMAGE_DIR).sort()) {
    const p = join(IMAGE_DIR, name);
    parts.push(name, String(statSync(p).mode & 0o111), readFileSync(p, 'utf8'));
  }
  return sha256(...parts);
}

function caFile(): string | undefined {
  // The machine's trust (a TLS-inspecting proxy's CA may be in it), used while building only.
  const f = process.env.SSL_CERT_FILE ?? '/etc/ssl/certs/ca-certificates.crt';
  return existsSync(f) ? f : undefined;
}

export async function ensureDevenvImage(): Promise<DevenvImage> {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const env = buildahEnv(dir);
  const packages = readFileSync(join(IMAGE_DIR, 'packages.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const rootfsHash = sha256(SUITE, 'minbase', packages.join(','), toolVersion('mmdebstrap')).slice(0, 16);
  const baseImage = `localhost/terrarium-test-base:${rootfsHash}`;
  const image = `localhost/terrarium-devenv-test:${sha256(rootfsHash, imageInputs(), toolVersion('buildah')).slice(0, 16)}`;
  const timings = { rootfs: 0, base: 0, devenv: 0, total: 0, cached: true };
  const started = Date.now();
  if (await imageExists(image, env)) return { image, env, timings: { ...timings, total: (Date.now() - started) / 1000 } };
  return withLock(dir, async () => {
    if (await imageExists(image, env)) return { image, env, timings: { ...timings, total: (Date.now() - started) / 1000 } };
    timings.cached = false;
    const log = join(dir, 'build.log');
    writeFileSync(log, '');
    const rootfs = join(dir, `rootfs-${rootfsHash}.tar`);
    if (!(await imageExists(baseImage, env))) {
      if (!existsSync(rootfs)) {
        const t = Date.now();
        const tmp = `${rootfs}.part`;
        rmSync(tmp, { force: true });
        await exec(['mmdebstrap', '--variant=minbase', '--format=tar', `--include=${packages.join(',')}`, SUITE, tmp], env, log);
        renameSync(tmp, rootfs);
        timings.rootfs = (Date.now() - t) / 1000;
      }
      const t = Date.now();
      const ctx = mkdtempSync(join(dir, 'base-'));
      try {
        try { linkSync(rootfs, join(ctx, 'rootfs.tar')); } catch { copyFileSync(rootfs, join(ctx, 'rootfs.tar')); }
        writeFileSync(join(ctx, 'Containerfile'), 'FROM scratch\nADD rootfs.tar /\n');
        await exec(['buildah', 'bud', '--isolation', 'chroot', '-f', join(ctx, 'Containerfile'), '-t', baseImage, ctx], env, log);
      } finally {
        rmSync(ctx, { recursive: true, force: true });
      }
      timings.base = (Date.now() - t) / 1000;
    }
    // The devenv image through the CLI users run: `terrarium image build --engine buildah`.
    const t = Date.now();
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    out.on('data', (d) => { text += d; });
    err.on('data', (d) => { text += d; });
    const ca = caFile();
    const code = await run(['image', 'build', '--engine', 'buildah', '--tag', image, '--base', baseImage, ...(ca ? ['--ca-file', ca] : [])],
      { stdout: out, stderr: err, env, signal: new AbortController().signal, homeDir: dir });
    writeFileSync(log, text, { flag: 'a' });
    if (code !== 0) throw new Error(`terrarium image build failed (${code}):\n${text.slice(-4000)}`);
    timings.devenv = (Date.now() - t) / 1000;
    await pruneOlder(image, env);
    timings.total = (Date.now() - started) / 1000;
    writeFileSync(join(dir, 'timings.json'), JSON.stringify({ image, ...timings }, null, 2));
    return { image, env, timings };
  });
}

/** Earlier builds of the test image (other input hashes) and their working containers: ~0.5 GB each on vfs. */
async function pruneOlder(image: string, env: NodeJS.ProcessEnv): Promise<void> {
  const repo = image.slice(0, image.lastIndexOf(':'));
  const names = (await exec(['buildah', 'images', '--format', '{{.Name}}:{{.Tag}}'], env).catch(() => '')).split('\n').map((l) => l.trim());
  for (const old of names.filter((n) => n.startsWith(`${repo}:`) && n !== image)) {
    const containers = (await exec(['buildah', 'containers', '--filter', `ancestor=${old}`, '--format', '{{.ContainerName}}'], env).catch(() => '')).split('\n').filter(Boolean);
    for (const c of containers) await exec(['buildah', 'rm', c], env).catch(() => undefined);
    await exec(['buildah', 'rmi', old], env).catch(() => undefined);
  }
}

/** A working container of the image (buildah from); remove it with removeContainer. */
export async function newContainer(img: DevenvImage): Promise<string> {
  return (await exec(['buildah', 'from', '--pull-never', img.image], img.env)).trim();
}

export async function removeContainer(img: DevenvImage, name: string): Promise<void> {
  await exec(['buildah', 'rm', name], img.env).catch(() => undefined);
}

/** Runs a command in the container as the image's user (or `user`), as `buildah run --isolation chroot`. */
export async function runIn(img: DevenvImage, container: string, argv: string[], opts: { user?: string; volumes?: string[]; env?: Record<string, string> } = {}):
  Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ['buildah', 'run', '--isolation', 'chroot',
    ...(opts.user ? ['--user', opts.user] : []),
    ...(opts.volumes ?? []).flatMap((v) => ['-v', v]),
    ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    container, '--', ...argv];
  return new Promise((res, rej) => {
    const p = spawn(args[0]!, args.slice(1), { env: img.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d; });
    p.stderr.on('data', (d: Buffer) => { stderr += d; });
    p.on('error', rej);
    p.on('close', (code) => res({ code: code ?? 255, stdout, stderr }));
  });
}

export async function inspectImage(img: DevenvImage): Promise<any> {
  return JSON.parse(await exec(['buildah', 'inspect', '--type', 'image', img.image], img.env));
}
