/**
 * The cluster integration tests run against: kube-sim by default, or a real cluster when
 * TERRARIUM_TEST_KUBECONFIG is set (optionally TERRARIUM_TEST_CONTEXT). Either way each test file
 * works in its own namespace `tt-<random>`, deleted at cleanup, and talks to it only over the API.
 * Also builds and runs the bundled CLI (what users run) for CLI tests.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { discoverKubeconfig, openCluster } from '../../src/core/kube/kubeconfig';
import { isTerrariumError } from '../../src/core/kube/errors';
import type { Cluster } from '../../src/core/kube/cluster';

/** What the harness uses of kube-sim (test/kube-sim/index.ts). */
export interface KubeSim {
  url: string;
  writeKubeconfig(file: string, opts?: { context?: string; namespace?: string }): unknown;
  stop?(): Promise<void>;
  close?(): Promise<void>;
  faults?: unknown;
}

export interface TestCluster {
  kubeconfigPath: string;
  context: string;
  namespace: string;
  /** The running kube-sim; undefined against a real cluster. */
  sim?: KubeSim;
  cluster: Cluster;
  /** Deletes the namespace, stops kube-sim, removes temp files. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** Anything with an after hook: a TestContext (`t`) or node:test's `after` wrapped as `{ after }`. */
export interface HasAfter { after(fn: () => Promise<void> | void): void }

const REPO = resolve(__dirname, '..', '..');

export function usingRealCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.TERRARIUM_TEST_KUBECONFIG;
}

export function kubeSimAvailable(): boolean {
  return existsSync(join(REPO, 'test', 'kube-sim', 'index.ts'));
}

async function loadKubeSim(): Promise<{ startKubeSim(opts?: Record<string, unknown>): Promise<KubeSim> }> {
  // A computed specifier keeps this file type-checking while kube-sim is being written.
  const specifier = '../kube-sim/index';
  return await import(specifier);
}

export async function getTestCluster(t?: HasAfter): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-it-'));
  const namespace = `tt-${randomBytes(4).toString('hex')}`;
  let sim: KubeSim | undefined;
  let kubeconfigPath: string;
  let wantedContext: string | undefined;
  try {
    if (usingRealCluster()) {
      kubeconfigPath = resolve(process.env.TERRARIUM_TEST_KUBECONFIG!);
      wantedContext = process.env.TERRARIUM_TEST_CONTEXT || undefined;
    } else {
      if (!kubeSimAvailable()) throw new Error('kube-sim (test/kube-sim/index.ts) is not in this checkout, and TERRARIUM_TEST_KUBECONFIG is not set.');
      sim = await (await loadKubeSim()).startKubeSim();
      kubeconfigPath = join(dir, 'kubeconfig');
      await sim.writeKubeconfig(kubeconfigPath, { namespace });
    }
    const discovery = discoverKubeconfig({ explicitPath: kubeconfigPath, env: {} });
    const cluster = openCluster({ discovery, context: wantedContext, namespace, env: {} });
    await createNamespace(cluster);
    let done = false;
    const cleanup = async () => {
      if (done) return;
      done = true;
      try {
        // kube-sim goes away as a whole; a real cluster keeps nothing of the test but what it deletes.
        if (!sim) {
          await cluster.call({ verb: 'delete', resource: 'namespaces', name: namespace, namespace: undefined },
            (o) => cluster.core.deleteNamespace({ name: namespace }, o), { retries: 1 });
        }
      } catch (e) {
        if (!isTerrariumError(e, 'NotFound')) throw e;
      } finally {
        await stopSim(sim);
        rmSync(dir, { recursive: true, force: true });
      }
    };
    t?.after(cleanup);
    return { kubeconfigPath, context: cluster.context, namespace, sim, cluster, cleanup };
  } catch (e) {
    await stopSim(sim);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function stopSim(sim: KubeSim | undefined): Promise<void> {
  if (!sim) return;
  if (sim.stop) await sim.stop();
  else if (sim.close) await sim.close();
}

/** The test namespace, labelled so leftovers on a real cluster are easy to find (`-l terrarium.dev/test`). */
async function createNamespace(cluster: Cluster): Promise<void> {
  const name = cluster.namespace;
  await cluster.call({ verb: 'create', resource: 'namespaces', name, namespace: undefined },
    (o) => cluster.core.createNamespace({ body: { metadata: { name, labels: { 'terrarium.dev/test': 'true' } } } }, o));
}

/** For tests that need kube-sim's fault injection: skips the test on a real cluster. */
export function requireSim(tc: TestCluster, t: { skip(message?: string): void }): KubeSim | undefined {
  if (!tc.sim) t.skip('needs kube-sim fault injection (not available on a real cluster)');
  return tc.sim;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after timeoutMs. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---- the bundled CLI ----

let cliBundle: Promise<string> | undefined;

/**
 * dist/cli.js as users get it: an esbuild bundle with the options of esbuild.mjs, built once per
 * process into a temp folder next to a link to manifests/ (found relative to the bundle, as in
 * the .vsix). TERRARIUM_TEST_CLI points at a prebuilt bundle instead.
 */
export function bundledCli(): Promise<string> {
  if (process.env.TERRARIUM_TEST_CLI) return Promise.resolve(resolve(process.env.TERRARIUM_TEST_CLI));
  cliBundle ??= (async () => {
    const root = mkdtempSync(join(tmpdir(), 'terrarium-cli-'));
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    symlinkSync(join(REPO, 'manifests'), join(root, 'manifests'), 'dir');
    const outfile = join(root, 'dist', 'cli.js');
    const esbuild = await import('esbuild');
    const { coreBuild } = await import('../../scripts/coreBundle.mjs');
    await esbuild.build(coreBuild({ bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, logLevel: 'error',
      external: ['bufferutil', 'utf-8-validate', 'cpu-features'], loader: { '.node': 'empty' } }, outfile));
    return outfile;
  })();
  return cliBundle;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  /** Kill (and fail) after this long; default 60 s. */
  timeoutMs?: number;
  input?: string;
}

let stateDir: string | undefined;
function cliStateDir(): string {
  stateDir ??= mkdtempSync(join(tmpdir(), 'terrarium-cli-state-'));
  return stateDir;
}

/** Runs `node <cli> ...args` and collects its output. The environment has no KUBECONFIG unless given. */
export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const cli = await bundledCli();
  // The CLI audits to $XDG_STATE_HOME/terrarium/audit.log: keep test runs out of the real user's state.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, XDG_STATE_HOME: cliStateDir(), ...opts.env };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`terrarium ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000} ms.\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolvePromise({ code, signal, stdout, stderr }); });
    child.stdin.end(opts.input ?? '');
  });
}

/** The global options that point the CLI at a test cluster. */
export function clusterArgs(tc: Pick<TestCluster, 'kubeconfigPath' | 'context' | 'namespace'>): string[] {
  return ['--kubeconfig', tc.kubeconfigPath, '--context', tc.context, '--namespace', tc.namespace];
}
