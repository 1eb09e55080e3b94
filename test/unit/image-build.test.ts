// `terrarium image build` through the real CLI with recording fakes of docker, podman, nerdctl and
// kind first (and alone) on PATH: the exact command lines each engine gets, engine detection, and
// the messages when no engine is there or a step fails. The real build (buildah) is in
// test/integration/image-real.test.ts. Also the image's definition and the release workflow as data.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { run, type RunIo } from '../../src/cli/run';
import { DEFAULT_IMAGE } from '../../src/core/devenv/names';
import { capturedStreams } from './testIo';

const VERSION: string = JSON.parse(readFileSync('package.json', 'utf8')).version;
const CONTEXT = resolve('manifests/image');

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'terrarium-image-test-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A bin folder with recording fakes: each appends its argv (name first) as one JSON line to the log.
 * `fail` makes a fake exit 1 with `message` on stderr for that subcommand. Node by absolute path,
 * so PATH can be the fakes alone (the machine's docker client must never be found).
 */
function fakeBin(names: string[], fail?: { name: string; sub: string; message: string }): { bin: string; log: string; calls: () => string[][]; all: () => string[][] } {
  const bin = mkdtempSync(join(dir, 'bin-'));
  const log = join(bin, 'calls.log');
  for (const name of names) {
    const f = join(bin, name);
    writeFileSync(f, `#!${process.execPath}
const fs = require('fs');
const argv = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify([${JSON.stringify(name)}, ...argv]) + '\\n');
const fail = ${JSON.stringify(fail ?? null)};
if (fail && fail.name === ${JSON.stringify(name)} && argv[0] === fail.sub) { process.stderr.write(fail.message + '\\n'); process.exit(1); }
// What the real tools print, roughly; save writes the archive it was asked for.
const o = argv.indexOf('-o'); if (o >= 0) fs.writeFileSync(argv[o + 1], 'archive');
process.stdout.write('ok ' + argv[0] + '\\n');
`);
    chmodSync(f, 0o755);
  }
  const all = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []);
  // calls(): what was run to build, push and load; the daemon probes (`docker info`) are in all().
  return { bin, log, all, calls: () => all().filter((c) => c[1] !== 'info') };
}

async function cli(argv: string[], path: string): Promise<{ code: number; out: string; err: string }> {
  const { stdout, stderr, out, err } = capturedStreams();
  const home = mkdtempSync(join(dir, 'home-'));
  const io: RunIo = { stdout, stderr, env: { PATH: path, HOME: home, XDG_STATE_HOME: join(home, 'state') }, homeDir: home, signal: new AbortController().signal };
  const code = await run(argv, io);
  return { code, out: out(), err: err() };
}

describe('terrarium image build (recording fakes)', () => {
  test('docker: build, push and kind load docker-image, as argv; the default tag is this version\'s image', async () => {
    const f = fakeBin(['docker', 'kind', 'podman']);
    const r = await cli(['image', 'build', '--push', '--kind-load', 'dev'], f.bin);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(f.calls(), [
      ['docker', 'build', '-f', join(CONTEXT, 'Dockerfile'), '-t', `ghcr.io/terrarium-dev/terrarium-devenv:${VERSION}`, '--build-arg', `VERSION=${VERSION}`, CONTEXT],
      ['docker', 'push', `ghcr.io/terrarium-dev/terrarium-devenv:${VERSION}`],
      ['kind', 'load', 'docker-image', `ghcr.io/terrarium-dev/terrarium-devenv:${VERSION}`, '--name', 'dev'],
    ]);
    assert.match(r.out, new RegExp(`Built ghcr.io/terrarium-dev/terrarium-devenv:${VERSION.replace(/\./g, '\\.')} with docker, pushed it, loaded it into kind cluster "dev"`));
    // Build logs go to stderr with a line per step.
    assert.match(r.err, /terrarium: build: docker build -f /);
    assert.match(r.err, /ok build/);
  });

  test('podman: --tag and --base; kind gets a docker-archive the engine saved, removed afterwards', async () => {
    const f = fakeBin(['podman', 'kind', 'docker']);
    const r = await cli(['image', 'build', '--engine', 'podman', '-t', 'registry.example/me/devenv:7', '--base', 'localhost/base:1', '--kind-load', 'k1'], f.bin);
    assert.equal(r.code, 0, r.err);
    const calls = f.calls();
    assert.deepEqual(calls[0], ['podman', 'build', '-f', join(CONTEXT, 'Dockerfile'), '-t', 'registry.example/me/devenv:7', '--build-arg', `VERSION=${VERSION}`, '--build-arg', 'BASE=localhost/base:1', CONTEXT]);
    const save = calls[1]!;
    assert.deepEqual(save.slice(0, 5), ['podman', 'save', '--format', 'docker-archive', '-o']);
    const archive = save[5]!;
    assert.equal(save[6], 'registry.example/me/devenv:7');
    assert.deepEqual(calls[2], ['kind', 'load', 'image-archive', archive, '--name', 'k1']);
    assert.equal(calls.length, 3);
    assert.equal(existsSync(archive), false, 'the archive is removed after loading');
  });

  test('nerdctl is found when it is the only engine; --push; --json reports the commands', async () => {
    const f = fakeBin(['nerdctl']);
    const r = await cli(['image', 'build', '--push', '--tag', 'r.example/x:1', '--json'], f.bin);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    assert.equal(doc.engine, 'nerdctl');
    assert.deepEqual(doc.commands, f.calls());
    assert.deepEqual(f.calls(), [
      ['nerdctl', 'build', '-f', join(CONTEXT, 'Dockerfile'), '-t', 'r.example/x:1', '--build-arg', `VERSION=${VERSION}`, CONTEXT],
      ['nerdctl', 'push', 'r.example/x:1'],
    ]);
  });

  test('buildah\'s command lines: bud, push to docker://, docker-archive for kind; --ca-file is mounted for RUN steps', async () => {
    const f = fakeBin(['buildah', 'kind']);
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'pem');
    const r = await cli(['image', 'build', '--tag', 'r.example/x:2', '--push', '--kind-load', 'c', '--ca-file', ca], f.bin);
    assert.equal(r.code, 0, r.err);
    const calls = f.calls();
    assert.deepEqual(calls[0], ['buildah', 'bud', '-f', join(CONTEXT, 'Dockerfile'), '-t', 'r.example/x:2', '--build-arg', `VERSION=${VERSION}`,
      '-v', `${ca}:/run/terrarium/ca.crt:ro`, '--build-arg', 'BUILD_CA_FILE=/run/terrarium/ca.crt', CONTEXT]);
    assert.deepEqual(calls[1], ['buildah', 'push', 'r.example/x:2', 'docker://r.example/x:2']);
    assert.match(calls[2]![3]!, /^docker-archive:.*image\.tar:r\.example\/x:2$/);
    assert.equal(calls[3]![0], 'kind');
  });

  test('no engine on PATH: a clear message naming the four and what to install; nothing runs', async () => {
    const f = fakeBin(['kind']);
    const r = await cli(['image', 'build'], f.bin);
    assert.equal(r.code, 1);
    assert.match(r.err, /No container engine found: none of docker, podman, nerdctl, buildah is on PATH/);
    assert.match(r.err, /Install Docker, Podman, nerdctl \(with BuildKit\) or Buildah/);
    assert.deepEqual(f.calls(), []);
  });

  test('docker whose daemon is unreachable is passed over for the next engine present, saying why; `docker info` is the probe', async () => {
    const f = fakeBin(['docker', 'podman'], { name: 'docker', sub: 'info', message: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' });
    const r = await cli(['image', 'build', '--tag', 'r.example/x:3'], f.bin);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(f.all()[0], ['docker', 'info', '--format', '{{.ServerVersion}}']);
    assert.deepEqual(f.calls().map((c) => c.slice(0, 2)), [['podman', 'build']]);
    assert.match(r.err, /not using docker: Cannot connect to the Docker daemon/);
    assert.match(r.out, /Built r\.example\/x:3 with podman/);
  });

  test('only a docker client without its daemon: says so and what to do; nothing is built', async () => {
    const f = fakeBin(['docker'], { name: 'docker', sub: 'info', message: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' });
    const r = await cli(['image', 'build'], f.bin);
    assert.equal(r.code, 1);
    assert.match(r.err, /No container engine can build here: docker: Cannot connect to the Docker daemon/);
    assert.match(r.err, /Start the engine's daemon .* or install Podman or Buildah/);
    assert.deepEqual(f.calls(), []);
  });

  test('a failing build stops before push and names the command, with what to do', async () => {
    const f = fakeBin(['docker'], { name: 'docker', sub: 'build', message: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' });
    const r = await cli(['image', 'build', '--push'], f.bin);
    assert.equal(r.code, 1);
    assert.match(r.err, /Cannot connect to the Docker daemon/);
    assert.match(r.err, /build failed: docker build .* exited with 1/);
    assert.match(r.err, /--engine podman\|buildah/);
    assert.equal(f.calls().length, 1, 'no push after a failed build');
  });

  test('usage errors: an unknown --engine; an engine asked for but absent; --ca-file with docker; --kind-load without kind', async () => {
    const f = fakeBin(['docker']);
    let r = await cli(['image', 'build', '--engine', 'rkt'], f.bin);
    assert.equal(r.code, 2);
    assert.match(r.err, /--engine takes docker, podman, nerdctl, buildah, not "rkt"/);
    r = await cli(['image', 'build', '--engine', 'podman'], f.bin);
    assert.equal(r.code, 1);
    assert.match(r.err, /podman is not installed/);
    r = await cli(['image', 'build', '--ca-file', '/x.pem'], f.bin);
    assert.match(r.err, /--ca-file needs podman or buildah/);
    r = await cli(['image', 'build', '--kind-load', 'c'], f.bin);
    assert.match(r.err, /kind is not installed/);
    r = await cli(['image', 'build', '--tag', 'bad tag;rm'], f.bin);
    assert.match(r.err, /is not an image reference/);
    assert.deepEqual(f.calls(), []);
  });

  test('--help lists the flags with an example', async () => {
    const r = await cli(['image', 'build', '--help'], dir);
    assert.equal(r.code, 0);
    for (const flag of ['--tag', '--push', '--kind-load', '--engine', '--base', '--ca-file']) assert.ok(r.out.includes(flag), flag);
    assert.match(r.out, /Example: terrarium image build/);
  });
});

describe('the devenv image definition and its release', () => {
  const dockerfile = readFileSync('manifests/image/Dockerfile', 'utf8');

  test('the default image is this version\'s, never :latest, in the core, the setting and kube-sim', async () => {
    assert.equal(DEFAULT_IMAGE, `ghcr.io/terrarium-dev/terrarium-devenv:${VERSION}`);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    assert.equal(pkg.contributes.configuration.properties['terrarium.image'].default, DEFAULT_IMAGE);
    const { DEFAULT_IMAGES } = await import('../kube-sim/index');
    assert.ok(DEFAULT_IMAGES.includes(DEFAULT_IMAGE), 'kube-sim\'s node has the default image');
  });

  test('one definition: the Dockerfile, its base a digest-pinned build argument, non-root on 2222, OCI labels, no secrets', () => {
    const defs = readdirSync('manifests/image').filter((n) => /^(Dockerfile|Containerfile)/.test(n));
    assert.deepEqual(defs, ['Dockerfile']);
    assert.match(dockerfile, /^ARG BASE=debian:bookworm-slim@sha256:[0-9a-f]{64}$/m);
    assert.match(dockerfile, /^FROM \$\{BASE\}$/m);
    assert.equal((dockerfile.match(/^FROM /gm) ?? []).length, 1);
    assert.match(dockerfile, /^USER 1000:1000$/m);
    assert.match(dockerfile, /^EXPOSE 2222$/m);
    for (const l of ['title', 'description', 'version', 'revision', 'licenses', 'base.name']) assert.match(dockerfile, new RegExp(`org\\.opencontainers\\.image\\.${l.replace('.', '\\.')}=`));
    assert.doesNotMatch(dockerfile, /:latest\b/);
    assert.doesNotMatch(dockerfile, /(TOKEN|SECRET|PASSWORD|API_KEY)\s*=/i);
    assert.match(dockerfile, /NPM_CONFIG_PREFIX=\/workspace\/\.npm-global/);
    assert.match(dockerfile, /PYTHONUSERBASE=\/workspace\/\.local/);
    const pkgs = readFileSync('manifests/image/packages.txt', 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const p of ['openssh-server', 'openssh-client', 'tmux', 'git', 'curl', 'ca-certificates', 'python3', 'python3-pip', 'python3-venv']) assert.ok(pkgs.includes(p), p);
  });

  test('the release workflow: on a version tag, buildx for amd64 and arm64, both images pushed by version with SBOM and provenance', () => {
    // Parsed and checked as data here; GitHub Actions itself cannot run on this machine.
    const wf = load(readFileSync('.github/workflows/image.yml', 'utf8')) as any;
    assert.deepEqual(wf.on.push.tags, ['v*.*.*']);
    assert.equal(wf.permissions.packages, 'write');
    const steps: any[] = wf.jobs.images.steps;
    const uses = steps.map((s) => s.uses).filter(Boolean);
    assert.ok(uses.includes('docker/setup-buildx-action@v3'));
    assert.ok(uses.includes('docker/setup-qemu-action@v3'));
    const login = steps.find((s) => s.uses?.startsWith('docker/login-action'));
    assert.equal(login.with.registry, 'ghcr.io');
    const builds = steps.filter((s) => s.uses?.startsWith('docker/build-push-action'));
    assert.equal(builds.length, 2);
    const [devenv, controller] = builds;
    assert.equal(wf.env.PLATFORMS, 'linux/amd64,linux/arm64');
    for (const b of builds) {
      assert.equal(b.with.platforms, '${{ env.PLATFORMS }}');
      assert.equal(b.with.push, true);
      assert.equal(b.with.sbom, true);
      assert.equal(b.with.provenance, 'mode=max');
    }
    assert.equal(devenv.with.file, 'manifests/image/Dockerfile');
    assert.equal(devenv.with.tags, 'ghcr.io/${{ steps.meta.outputs.owner }}/terrarium-devenv:${{ steps.meta.outputs.version }}');
    assert.match(devenv.with['build-args'], /^BASE=\$\{\{ env\.DEVENV_BASE \}\}$/m);
    assert.equal(controller.with.file, 'manifests/controller/Dockerfile');
    assert.equal(controller.with.tags, 'ghcr.io/${{ steps.meta.outputs.owner }}/terrarium-controller:${{ steps.meta.outputs.version }}');
    // The base the workflow pins is the Dockerfile's default: one pin, checked equal.
    assert.equal(`ARG BASE=${wf.env.DEVENV_BASE}`, dockerfile.match(/^ARG BASE=.*$/m)?.[0]);
    assert.match(wf.env.CONTROLLER_NODE_IMAGE, /@sha256:[0-9a-f]{64}$/);
    // The bundle the controller image copies is built before it.
    assert.ok(steps.findIndex((s) => /node esbuild\.mjs/.test(s.run ?? '')) < steps.indexOf(controller));
    assert.doesNotMatch(readFileSync('.github/workflows/image.yml', 'utf8'), /:latest\b/);
  });
});
