/**
 * Recording fakes of kind, docker and podman for the local-cluster tests: executables put first on
 * PATH that append their argv (and KIND_EXPERIMENTAL_PROVIDER) as one JSON line to a log, and
 * answer as the real tools do (texts taken from kind's and docker's output). Their world is a small
 * JSON state file: kind clusters, images the engine has, whether the engine answers, and the
 * kubeconfig `kind create cluster` writes (in the tests: a kube-sim's, so everything after the
 * cluster exists runs for real against kube-sim).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeState {
  clusters: string[];
  images: string[];
  /** Whether `docker info` / `podman info` succeed (false: a client without an engine). */
  engine: { docker: boolean; podman: boolean };
  /** What `kind create cluster` writes to its --kubeconfig. */
  kubeconfigSource?: string;
  /** Node containers that are stopped. */
  stopped: string[];
  /** `kind create cluster` fails with this line on stderr (as kind prints its errors). */
  failCreate?: string;
}

export interface Call { tool: string; argv: string[]; provider: string | null; config?: string }

const SCRIPT = String.raw`
const fs = require('node:fs');
const [tool, ...argv] = process.argv.slice(2);
const state = JSON.parse(fs.readFileSync(process.env.FAKE_STATE, 'utf8'));
const save = () => fs.writeFileSync(process.env.FAKE_STATE, JSON.stringify(state));
const call = { tool, argv, provider: process.env.KIND_EXPERIMENTAL_PROVIDER ?? null };
const flag = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const out = (s) => process.stdout.write(s + '\n');
const err = (s) => process.stderr.write(s + '\n');
let code = 0;
const id = (img) => 'sha256:' + require('node:crypto').createHash('sha256').update(img).digest('hex');
const words = argv.slice(0, 2).join(' ');
if (tool === 'kind') {
  const name = flag('--name') ?? 'kind';
  if (words === 'get clusters') {
    if (state.clusters.length) state.clusters.forEach((c) => out(c)); else err('No kind clusters found.');
  } else if (words === 'create cluster') {
    call.config = fs.readFileSync(flag('--config'), 'utf8');
    if (state.failCreate) {
      err('Creating cluster "' + name + '" ...'); err(' ✗ Ensuring node image (kindest/node:v1.32.0) 🖼'); err(state.failCreate); code = 1;
    } else if (state.clusters.includes(name)) {
      err('ERROR: failed to create cluster: node(s) already exist for a cluster with the name "' + name + '"'); code = 1;
    } else {
      err('Creating cluster "' + name + '" ...');
      err(' ✓ Ensuring node image (kindest/node:v1.32.0) 🖼');
      err(' ✓ Preparing nodes 📦');
      err(' ✓ Writing configuration 📜');
      err(' ✓ Starting control-plane 🕹️');
      err(' ✓ Installing CNI 🔌');
      err(' ✓ Installing StorageClass 💾');
      fs.writeFileSync(flag('--kubeconfig'), fs.readFileSync(state.kubeconfigSource, 'utf8'), { mode: 0o600 });
      err('Set kubectl context to "kind-' + name + '"');
      state.clusters.push(name); save();
    }
  } else if (words === 'delete cluster') {
    err('Deleting cluster "' + name + '" ...');
    if (state.clusters.includes(name)) err('Deleted nodes: ["' + name + '-control-plane"]');
    state.clusters = state.clusters.filter((c) => c !== name); save();
  } else if (words === 'load docker-image') {
    // Real kind asks docker only, whatever the provider.
    const img = argv[2];
    if (!state.images.includes(img)) { err('ERROR: image: "' + img + '" not present locally'); code = 1; }
    else if (!state.clusters.includes(name)) { err('ERROR: no nodes found for cluster "' + name + '"'); code = 1; }
    else err('Image: "' + img + '" with ID "' + id(img) + '" not yet present on node "' + name + '-control-plane", loading...');
  } else if (words === 'load image-archive') {
    if (!fs.existsSync(argv[2])) { err('ERROR: failed to load image: open ' + argv[2] + ': no such file or directory'); code = 1; }
  } else { err('fake kind: unknown command ' + argv.join(' ')); code = 2; }
} else {
  // docker or podman
  if (argv[0] === 'info') {
    if (state.engine[tool]) out('Client:\n Version: 27.3.1\nServer:\n Containers: ' + state.clusters.length);
    else if (tool === 'docker') { out('Client:\n Version: 27.3.1'); err('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'); code = 1; }
    else { err('Error: unable to connect to Podman socket: Get "http://d/v5.0.0/libpod/_ping": dial unix /run/user/1000/podman/podman.sock: connect: no such file or directory'); code = 125; }
  } else if (words === 'image inspect') {
    const img = argv[argv.length - 1];
    if (state.images.includes(img)) out(id(img)); else { out('[]'); err('Error response from daemon: No such image: ' + img); code = 1; }
  } else if (words === 'image exists') {
    code = state.images.includes(argv[2]) ? 0 : 1;
  } else if (argv[0] === 'save') {
    fs.writeFileSync(flag('-o'), 'archive of ' + argv[argv.length - 1]);
  } else if (argv[0] === 'build' || argv[0] === 'bud') {
    err('STEP 1/9: FROM ...'); state.images.push(flag('-t')); save();
  } else if (argv[0] === 'start' || argv[0] === 'stop') {
    const c = argv[1];
    if (!state.clusters.some((n) => n + '-control-plane' === c)) { err('Error response from daemon: No such container: ' + c); code = 1; }
    else {
      out(c);
      state.stopped = state.stopped.filter((s) => s !== c);
      if (argv[0] === 'stop') state.stopped.push(c);
      save();
    }
  } else { err('fake ' + tool + ': unknown command ' + argv.join(' ')); code = 2; }
}
fs.appendFileSync(process.env.FAKE_LOG, JSON.stringify(call) + '\n');
process.exitCode = code;
`;

export interface Fakes {
  dir: string;
  /** An environment whose PATH is the fakes' folder only, plus the fakes' state and log. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  state(): FakeState;
  setState(patch: Partial<FakeState>): void;
  calls(): Call[];
  /** argv of each call, prefixed by the tool: ['kind', 'get', 'clusters']. */
  argvs(): string[][];
  clearCalls(): void;
  cleanup(): void;
}

/** Puts fakes of `tools` (default kind, docker, podman) into a fresh bin folder. */
export function makeFakes(tools: ('kind' | 'docker' | 'podman')[] = ['kind', 'docker', 'podman'], initial: Partial<FakeState> = {}): Fakes {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-fakes-'));
  const bin = join(dir, 'bin');
  const script = join(dir, 'fake.cjs');
  const statePath = join(dir, 'state.json');
  const log = join(dir, 'calls.jsonl');
  writeFileSync(script, SCRIPT);
  mkdirSync(bin);
  for (const t of tools) {
    const p = join(bin, t);
    writeFileSync(p, `#!/bin/sh\nexec '${process.execPath}' '${script}' ${t} "$@"\n`);
    chmodSync(p, 0o755);
  }
  const base: FakeState = { clusters: [], images: [], engine: { docker: true, podman: true }, stopped: [], ...initial };
  writeFileSync(statePath, JSON.stringify(base));
  writeFileSync(log, '');
  const state = (): FakeState => JSON.parse(readFileSync(statePath, 'utf8'));
  const calls = (): Call[] => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return {
    dir,
    // Only the fakes' folder (they start node by its absolute path): the machine's own docker is never found.
    env: (extra = {}) => ({ PATH: bin, FAKE_STATE: statePath, FAKE_LOG: log, HOME: dir, ...extra }),
    state,
    setState: (patch) => writeFileSync(statePath, JSON.stringify({ ...state(), ...patch })),
    calls,
    argvs: () => calls().map((c) => [c.tool, ...c.argv]),
    clearCalls: () => writeFileSync(log, ''),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
