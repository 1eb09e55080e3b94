/**
 * Runs inside code-server's Node extension host (bundled by ../extensionHostTests.ts): mocha 10 over
 * the *.exthost.ts files, results written as JSON to a file, because the test process cannot read
 * the extension host's stdout and environment variables do not reach it.
 */
import { writeFileSync } from 'node:fs';

export interface ExtensionHostParams {
  /** Where the JSON results go. */
  resultsFile: string;
  /** The kubeconfig the workbench was started with. */
  kubeconfig: string;
  /** The folder of the extension under development (normally the repository root). */
  repoRoot: string;
  timeoutMs: number;
  /** Only tests whose full title matches (mocha --grep). */
  grep?: string;
}

export interface ExtensionHostTestResult {
  passed: string[];
  failed: { title: string; error: string }[];
  pending: string[];
  /** How many tests mocha found (after grep): every one of them must pass. */
  total?: number;
}

/** The parameters the harness baked into the bundle. */
export function extensionHostParams(): ExtensionHostParams {
  const p = (globalThis as any).__terrariumE2E as ExtensionHostParams | undefined;
  if (!p) throw new Error('extension-host test parameters are missing: run these files with runExtensionHostTests()');
  return p;
}

/**
 * `loadTests` requires the test modules; it runs after mocha has put describe/it on globalThis.
 * Resolves when every test passed, rejects otherwise (the extension host exits 0 or 1).
 */
export function runMocha(Mocha: any, loadTests: () => void): Promise<void> {
  const params = extensionHostParams();
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: params.timeoutMs, reporter: 'spec', grep: params.grep });
  mocha.suite.emit('pre-require', globalThis, 'exthost-tests', mocha);
  const result: ExtensionHostTestResult = { passed: [], failed: [], pending: [] };
  const save = () => writeFileSync(params.resultsFile, JSON.stringify(result, null, 2));
  try {
    loadTests();
  } catch (e: any) {
    result.failed.push({ title: 'loading the extension-host tests', error: String(e?.stack ?? e) });
    save();
    return Promise.reject(e);
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures: number) => {
      result.total = runner.total;
      save();
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t: any) => { result.passed.push(t.fullTitle()); });
    runner.on('fail', (t: any, err: any) => { result.failed.push({ title: t.fullTitle(), error: String(err?.stack ?? err) }); });
    runner.on('pending', (t: any) => { result.pending.push(t.fullTitle()); });
  });
}
