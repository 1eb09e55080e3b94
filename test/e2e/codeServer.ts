/**
 * code-server (the real VS Code workbench and Node extension host, installed into .tools/ by
 * scripts/install-code-server.sh) with the packaged extension, for the e2e tests and the playground.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killGroup, spawnGroup } from './processGroup';

export const repoRoot = resolve(__dirname, '..', '..');
export const artifactsDir = join(repoRoot, '.artifacts', 'e2e');

/** The code-server launcher, or undefined when it is not installed. TERRARIUM_CODE_SERVER overrides. */
export function codeServerLauncher(): string | undefined {
  const candidate = process.env.TERRARIUM_CODE_SERVER || join(repoRoot, '.tools', 'bin', 'code-server');
  return existsSync(candidate) ? candidate : undefined;
}

export const notInstalledMessage =
  'code-server is not installed: run `bash scripts/install-code-server.sh` (scripts/setup.sh does it) to run the real-VS-Code tests';

/** Runs a process to completion; rejects with its output when it fails. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${out.slice(-4000)}`));
    });
  });
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  // mkdir is atomic: test files run in parallel processes and must not build into dist/ at once.
  const deadline = Date.now() + 180_000;
  for (;;) {
    try { mkdirSync(lockDir); break; } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
      try { if (Date.now() - statSync(lockDir).mtimeMs > 180_000) rmSync(lockDir, { recursive: true, force: true }); } catch { /* raced */ }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir} (remove it if no build is running)`, { cause: e });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try { return await fn(); } finally { rmSync(lockDir, { recursive: true, force: true }); }
}

/**
 * Builds the bundles and packages the .vsix into .artifacts/e2e/terrarium.vsix, reusing it while
 * it is newer than every input. TERRARIUM_E2E_VSIX names a ready-made one instead.
 */
export async function packageExtension(): Promise<string> {
  if (process.env.TERRARIUM_E2E_VSIX) return resolve(process.env.TERRARIUM_E2E_VSIX);
  mkdirSync(artifactsDir, { recursive: true });
  const vsix = join(artifactsDir, 'terrarium.vsix');
  return withLock(join(artifactsDir, '.package.lock'), async () => {
    const inputs = ['src', 'webview', 'media', 'manifests', 'package.json', 'esbuild.mjs', '.vscodeignore'];
    const newestInput = Math.max(...inputs.map((p) => newestMtime(join(repoRoot, p))));
    if (existsSync(vsix) && statSync(vsix).mtimeMs > newestInput) return vsix;
    await run(process.execPath, ['esbuild.mjs']);
    await run(process.execPath, [join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies',
      '--allow-missing-repository', '--skip-license', '--out', vsix]);
    return vsix;
  });
}

export interface CodeServerOptions {
  /** The .vsix to install; undefined installs nothing (extension-host tests load the repo instead). */
  vsix?: string;
  /** Passed as the `terrarium.kubeconfig` setting and as KUBECONFIG. */
  kubeconfig?: string;
  /** Extra user settings, merged over the quiet defaults. */
  settings?: Record<string, unknown>;
  /** Folder to open; default: an empty folder under the state dir. */
  folder?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Keeps user data here (the playground); default: a fresh temp dir removed on stop. */
  stateDir?: string;
  /** Where code-server's output goes; default: <stateDir>/code-server.log. */
  logFile?: string;
  env?: NodeJS.ProcessEnv;
}

export interface CodeServer {
  /** http://host:port/ */
  url: string;
  host: string;
  port: number;
  pid: number;
  stateDir: string;
  userDataDir: string;
  extensionsDir: string;
  folder: string;
  home: string;
  logFile: string;
  /** The workbench URL that opens `folder`. */
  workbenchUrl(): string;
  /** Everything code-server printed so far. */
  log(): string;
  /** Kills code-server's process group and descendants; removes a temp state dir. */
  stop(): Promise<void>;
}

const quietSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.enabled': false,
};

function codeServerEnv(home: string, extra: NodeJS.ProcessEnv | undefined, kubeconfig: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // A private HOME: the extension writes ssh config and keys under it, and code-server its state.
  env.HOME = home;
  env.XDG_CONFIG_HOME = join(home, '.config');
  env.XDG_DATA_HOME = join(home, '.local', 'share');
  env.XDG_CACHE_HOME = join(home, '.cache');
  if (kubeconfig) env.KUBECONFIG = kubeconfig;
  // Our own test runner's variables make no sense inside the extension host.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Starts code-server on 127.0.0.1 (by default) and resolves once /healthz answers. */
export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  const launcher = codeServerLauncher();
  if (!launcher) throw new Error(notInstalledMessage);
  const tempState = !options.stateDir;
  const stateDir = options.stateDir ? resolve(options.stateDir) : mkdtempSync(join(tmpdir(), 'terrarium-e2e-'));
  const userDataDir = join(stateDir, 'user-data');
  const extensionsDir = join(stateDir, 'extensions');
  const home = join(stateDir, 'home');
  const folder = options.folder ? resolve(options.folder) : join(stateDir, 'workspace');
  for (const d of [extensionsDir, home, folder]) mkdirSync(d, { recursive: true });
  const settings: Record<string, unknown> = { ...quietSettings, ...options.settings };
  if (options.kubeconfig) settings['terrarium.kubeconfig'] = options.kubeconfig;
  // Machine-scoped settings (terrarium.kubeconfig is one) are read only from the remote side's
  // Machine/settings.json, the rest from User/settings.json: write both.
  for (const scope of ['User', 'Machine']) {
    mkdirSync(join(userDataDir, scope), { recursive: true });
    writeFileSync(join(userDataDir, scope, 'settings.json'), JSON.stringify(settings, null, 2));
  }
  const env = codeServerEnv(home, options.env, options.kubeconfig);
  const common = ['--config', '/dev/null', '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  const cleanupState = () => { if (tempState) rmSync(stateDir, { recursive: true, force: true }); };
  try {
    if (options.vsix) await run(launcher, [...common, '--install-extension', options.vsix, '--force'], { env, timeoutMs: 120_000 });
  } catch (e) {
    cleanupState();
    throw e;
  }

  const host = options.host ?? '127.0.0.1';
  const logFile = options.logFile ?? join(stateDir, 'code-server.log');
  const logStream = createWriteStream(logFile);
  let output = '';
  const child: ChildProcess = spawnGroup(launcher, [
    '--bind-addr', `${host}:${options.port ?? 0}`, '--auth', 'none', ...common,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    folder,
  ], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const onData = (d: Buffer) => { output += d.toString(); logStream.write(d); };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await killGroup(child);
    await new Promise<void>((r) => logStream.end(r));
    cleanupState();
  };

  try {
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not start listening within 60 s:\n${output.slice(-3000)}`)), 60_000);
      const check = () => {
        const m = /HTTP server listening on https?:\/\/[^\s]*:(\d+)\//.exec(output);
        if (m) { clearTimeout(timer); resolvePort(Number(m[1])); }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`code-server exited (${code ?? signal}) before listening:\n${output.slice(-3000)}`)); });
      child.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    await waitForHealth(new URL('healthz', url).href, child);
    return {
      url, host, port, pid: child.pid!, stateDir, userDataDir, extensionsDir, folder, home, logFile,
      workbenchUrl: () => `${url}?folder=${encodeURIComponent(folder)}`,
      log: () => output,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('code-server exited while starting');
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 30 s`);
}

/** Lines of the remote extension host's log (activation errors end up there). */
export function extensionHostLog(server: Pick<CodeServer, 'userDataDir'>): string {
  const logs = join(server.userDataDir, 'logs');
  if (!existsSync(logs)) return '';
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/exthost\.log$/i.test(name)) found.push(readFileSync(p, 'utf8'));
    }
  };
  walk(logs);
  return found.join('\n');
}
