/**
 * Mocha tests inside code-server's real Node extension host. code-server has no
 * --extensionDevelopmentPath, but the web workbench honours `developmentOptions.extensions` and
 * `.extensionTestsPath` in its configuration; the built 1.139 workbench ignores the URL payload, so
 * an init script adds them where the workbench reads its configuration (the data-settings attribute).
 * The workbench reports through window.codeAutomationLog / codeAutomationExit.
 */
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageExtension, repoRoot, startCodeServer, type CodeServer } from './codeServer';
import { startCluster } from './kubeSim';
import { openWorkbench } from './workbench';
import type { ExtensionHostParams, ExtensionHostTestResult } from './exthost/mochaRunner';

export type { ExtensionHostTestResult };

export interface ExtensionHostRun extends ExtensionHostTestResult {
  /** The extension host's exit code (0: all passed). */
  exitCode: number;
  /** What the workbench logged through codeAutomationLog (mocha's spec output among it). */
  log: string[];
}

export interface ExtensionHostTestOptions {
  /** Default: a kube-sim with its sample environment (or an unreachable cluster without kube-sim). */
  kubeconfig?: string;
  settings?: Record<string, unknown>;
  /** Per mocha test; default 30 s. */
  testTimeoutMs?: number;
  /** The whole run; default 240 s. */
  timeoutMs?: number;
  grep?: string;
  /**
   * The extension under development: a folder with package.json and dist/. Default:
   * TERRARIUM_E2E_EXTENSION_PATH, else this repository (built first).
   */
  extensionPath?: string;
  /** Saved to .artifacts/e2e/<name>.png at the end. */
  screenshotName?: string;
}

/** The `*.exthost.ts` files under `dir`, sorted. */
export function extensionHostTestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...extensionHostTestFiles(p));
    else if (name.endsWith('.exthost.ts')) out.push(p);
  }
  return out.sort();
}

/** Bundles the runner and the test files into one CommonJS file the extension host can require. */
async function bundleTests(files: string[], params: ExtensionHostParams, outDir: string): Promise<string> {
  const mochaPath = require.resolve('mocha');
  const entry = join(outDir, 'entry.ts');
  writeFileSync(entry, [
    `(globalThis as any).__terrariumE2E = ${JSON.stringify(params)};`,
    `import { runMocha } from ${JSON.stringify(join(__dirname, 'exthost', 'mochaRunner'))};`,
    // mocha stays a runtime require by absolute path: it loads its reporters dynamically.
    `const Mocha = require(${JSON.stringify(mochaPath)});`,
    'export function run(): Promise<void> {',
    '  return runMocha(Mocha, () => {',
    ...files.map((f) => `    require(${JSON.stringify(f)});`),
    '  });',
    '}',
    '',
  ].join('\n'));
  const outfile = join(outDir, 'tests.js');
  await esbuild.build({
    entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    sourcemap: 'inline', logLevel: 'error',
    external: ['vscode', mochaPath, 'bufferutil', 'utf-8-validate', 'cpu-features'],
    loader: { '.node': 'empty' },
  });
  return outfile;
}

/** The init script that adds developmentOptions to the workbench configuration. */
export function developmentOptionsScript(server: Pick<CodeServer, 'host' | 'port'>, extensionPath: string, testsPath: string): string {
  const authority = `${server.host}:${server.port}`;
  const dev = {
    extensions: [{ scheme: 'vscode-remote', authority, path: extensionPath }],
    extensionTestsPath: { scheme: 'vscode-remote', authority, path: testsPath },
  };
  return `(() => {
    const dev = ${JSON.stringify(dev)};
    const getAttribute = Element.prototype.getAttribute;
    Element.prototype.getAttribute = function (name) {
      const value = getAttribute.call(this, name);
      if (name === 'data-settings' && this.id === 'vscode-workbench-web-configuration' && value) {
        try {
          const config = JSON.parse(value);
          config.developmentOptions = Object.assign({}, config.developmentOptions, dev);
          return JSON.stringify(config);
        } catch (e) { console.error('developmentOptions injection failed', e); }
      }
      return value;
    };
  })();`;
}

/**
 * Runs every `*.exthost.ts` mocha file under `testsDir` in the extension host of a fresh
 * code-server that loads this repository as the extension under development (built first).
 * Starts and stops its own cluster and server; resolves with the results, never throws for
 * failing tests (only when the run itself cannot happen).
 */
export async function runExtensionHostTests(testsDir: string, options: ExtensionHostTestOptions = {}): Promise<ExtensionHostRun> {
  const files = extensionHostTestFiles(resolve(testsDir));
  if (files.length === 0) throw new Error(`no *.exthost.ts files under ${testsDir}`);
  const work = mkdtempSync(join(tmpdir(), 'terrarium-exthost-'));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(work, { recursive: true, force: true })];
  try {
    const extensionPath = resolve(options.extensionPath ?? process.env.TERRARIUM_E2E_EXTENSION_PATH ?? repoRoot);
    // The bundle lives inside the extension's folder: VS Code hands `require('vscode')` the API object
    // of the extension whose folder the caller is in, so the tests share the extension's vscode.window
    // and can answer its quick picks and input boxes (a file elsewhere gets a separate default API).
    mkdirSync(join(extensionPath, '.artifacts'), { recursive: true });
    const bundleDir = mkdtempSync(join(extensionPath, '.artifacts', 'exthost-bundle-'));
    cleanups.push(async () => rmSync(bundleDir, { recursive: true, force: true }));
    if (extensionPath === repoRoot) await packageExtension(); // builds dist/, which the extension runs from
    if (!existsSync(join(extensionPath, 'dist', 'extension.js'))) throw new Error(`${extensionPath}/dist/extension.js is missing`);
    let kubeconfig = options.kubeconfig;
    if (!kubeconfig) {
      const cluster = await startCluster(work, { sample: true });
      cleanups.unshift(() => cluster.close());
      kubeconfig = cluster.kubeconfig;
    }
    const resultsFile = join(work, 'results.json');
    const testsPath = await bundleTests(files, {
      resultsFile, kubeconfig, repoRoot: extensionPath, timeoutMs: options.testTimeoutMs ?? 30_000, grep: options.grep,
    }, bundleDir);
    const server = await startCodeServer({ kubeconfig, settings: options.settings });
    cleanups.unshift(() => server.stop());

    const log: string[] = [];
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => { exit = r; });
    const workbench = await openWorkbench(server, {
      initScript: developmentOptionsScript(server, extensionPath, testsPath),
      expose: {
        codeAutomationLog: (_type: unknown, args: unknown) => {
          const parts = Array.isArray(args) ? args : [args];
          log.push(parts.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
        },
        codeAutomationExit: (code: unknown) => { exit(Number(code)); },
      },
    });
    cleanups.unshift(() => workbench.close());
    const timeoutMs = options.timeoutMs ?? 240_000;
    let timer: NodeJS.Timeout | undefined;
    const exitCode = await Promise.race([
      exited,
      new Promise<number>((_, reject) => {
        timer = setTimeout(() => reject(new Error(
          `the extension-host tests did not finish within ${timeoutMs / 1000} s.\nlog:\n${log.slice(-40).join('\n')}\n` +
          `browser console:\n${workbench.consoleLines.slice(-20).join('\n')}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (options.screenshotName) await workbench.screenshot(options.screenshotName).catch(() => {});
    const results: ExtensionHostTestResult = existsSync(resultsFile)
      ? JSON.parse(readFileSync(resultsFile, 'utf8'))
      : { passed: [], failed: [{ title: 'extension host', error: `exited with ${exitCode} before writing results:\n${log.slice(-40).join('\n')}` }], pending: [] };
    return { ...results, exitCode, log };
  } finally {
    for (const c of cleanups) await c().catch(() => {});
  }
}
