// dist/extension.js is what VS Code parses and runs to activate the extension, and the Clusters view
// waits for it: it stays small (no core, client-node, YAML library or audit code: those load from
// dist/cli.js on first use), activate() returns at once without loading the core, and the first
// cluster rows come from the kubeconfig before the core bundle is loaded. Built here from current
// sources as esbuild.mjs builds it (scripts/extensionBundle.mjs), then run against a stand-in vscode
// module and a stand-in core bundle that records when it is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

/** The bundle was 157 KB with the core's API routes, identity and audit code and js-yaml; 104 KB without. */
const MAX_BYTES = 128 * 1024;
const COMMON = {
  bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', minify: true, logLevel: 'error' as const,
  external: ['bufferutil', 'utf-8-validate', 'cpu-features'], loader: { '.node': 'empty' as const },
};

async function build(dir: string): Promise<{ file: string; inputs: string[] }> {
  const { extensionBuild } = await import('../../scripts/extensionBundle.mjs');
  const file = join(dir, 'extension.js');
  const r = await esbuild.build({ ...extensionBuild(COMMON, file), metafile: true, sourcemap: false });
  const out = Object.entries(r.metafile!.outputs).find(([k]) => k.endsWith('extension.js'))![1];
  return { file, inputs: Object.entries(out.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k) };
}

test('dist/extension.js holds no core module, client-node, YAML library or audit code, and stays small', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-ext-bundle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { file, inputs } = await build(dir);
  const { NOT_IN_EXTENSION } = await import('../../scripts/extensionBundle.mjs');
  assert.deepEqual(inputs.filter((i) => NOT_IN_EXTENSION.some((re) => re.test(i))), [], 'these load from dist/cli.js on first use, not at activation');
  assert.ok(inputs.includes('src/extension/tree/quickContexts.ts'), 'the first cluster rows are in it (from the kubeconfig alone)');
  const bytes = statSync(file).size;
  t.diagnostic(`dist/extension.js: ${bytes} bytes`);
  assert.ok(bytes <= MAX_BYTES, `dist/extension.js is ${bytes} bytes (limit ${MAX_BYTES})`);
});

/** A vscode module that accepts any call; it records the tree view's provider and registered commands. */
function fakeVscode() {
  const seen = { provider: undefined as undefined | { getChildren(n?: unknown): Promise<{ kind: string; context: string }[]> }, commands: [] as string[] };
  const any = (name: string): unknown => {
    const store = new Map<PropertyKey, unknown>();
    return new Proxy(function () {}, {
      set(_t, p, v) { store.set(p, v); return true; },
      get(_t, p) {
        if (store.has(p)) return store.get(p);
        if (p === 'then' || p === Symbol.toPrimitive || p === Symbol.iterator) return undefined;
        if (p === 'event' || /^onDid|^onWill/.test(String(p))) return () => ({ dispose() {} });
        if (p === 'get' || p === 'inspect') return () => undefined;
        if (p === 'visible') return true;
        const v = any(`${name}.${String(p)}`);
        store.set(p, v);
        return v;
      },
      apply: () => any(`${name}()`),
      construct: () => any(`new ${name}`) as object,
    });
  };
  const vscode: Record<string, unknown> = {};
  for (const n of ['EventEmitter', 'TreeItem', 'TreeItemCollapsibleState', 'ThemeIcon', 'ThemeColor', 'MarkdownString', 'Uri', 'StatusBarAlignment',
    'Disposable', 'ViewColumn', 'ProgressLocation', 'QuickPickItemKind', 'ConfigurationTarget', 'TerminalProfile', 'env', 'l10n', 'extensions', 'languages', 'tasks']) vscode[n] = any(n);
  vscode.workspace = any('workspace');
  vscode.window = new Proxy(any('window') as object, {
    get(t, p) {
      if (p === 'createTreeView') return (_id: string, o: { treeDataProvider: typeof seen.provider }) => { seen.provider = o.treeDataProvider; return any('treeView'); };
      return Reflect.get(t, p);
    },
  });
  vscode.commands = new Proxy(any('commands') as object, {
    get(t, p) {
      if (p === 'registerCommand') return (id: string) => { seen.commands.push(id); return { dispose() {} }; };
      if (p === 'executeCommand') return async () => undefined;
      return Reflect.get(t, p);
    },
  });
  return { vscode, seen };
}

test('activate() returns before the core loads; the cluster rows come from the kubeconfig first, the core after', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'terrarium-ext-activate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { file } = await build(dir);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: dev',
    'clusters:', '- name: c', '  cluster:', '    server: https://127.0.0.1:1',
    'contexts:', '- name: dev', '  context:', '    cluster: c', '    user: u', '- name: prod', '  context:', '    cluster: c', '    user: u',
    'users:', '- name: u', '  user:', '    token: t',
  ].join('\n'));

  // The stand-ins: vscode, and dist/cli.js (the core), which only records that it was asked for.
  const { vscode, seen } = fakeVscode();
  const events: string[] = [];
  const fakeCore = new Proxy({}, { get: () => { throw new Error('the stand-in core has no modules'); } });
  const M = Module as unknown as { _load(req: string, ...rest: unknown[]): unknown };
  const load = M._load;
  M._load = function (req: string, ...rest: unknown[]) {
    if (req === 'vscode') return vscode;
    if (req === './cli.js') { events.push('core loaded'); return fakeCore; }
    return load.call(this, req, ...rest);
  };
  const env = process.env.KUBECONFIG;
  process.env.KUBECONFIG = kubeconfig;
  t.after(() => { M._load = load; if (env === undefined) delete process.env.KUBECONFIG; else process.env.KUBECONFIG = env; });

  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle, loaded as VS Code loads it (CommonJS)
  const ext = require(file) as { activate(ctx: unknown): Promise<unknown> };
  const memento = { get: () => undefined, update: async () => undefined, keys: () => [] };
  const subscriptions: { dispose(): unknown }[] = [];
  t.after(() => { for (const d of subscriptions) try { d.dispose(); } catch { /* stand-ins */ } });
  const activated = ext.activate({ subscriptions, workspaceState: memento, globalState: memento, extensionUri: vscode.Uri, extensionPath: dir,
    asAbsolutePath: (p: string) => join(dir, p), secrets: vscode.env, environmentVariableCollection: vscode.env });
  assert.ok(activated instanceof Promise, 'activate() returns at once; the rest follows before its promise resolves');
  assert.ok(seen.provider, 'the Clusters view has its provider when activate() returns');
  assert.equal(events.join(), '', 'activation loads no core');

  const rows = await seen.provider!.getChildren();
  events.push('rows');
  assert.deepEqual(rows.map((r) => `${r.kind} ${r.context}`), ['cluster dev', 'cluster prod'], "the kubeconfig's contexts, current first");
  await activated;
  assert.ok(seen.commands.length > 20, `the commands are registered once activation completes (${seen.commands.length})`);

  // The state (health, the welcome views) follows: it loads the core, after the rows were answered.
  const deadline = Date.now() + 10_000;
  while (!events.includes('core loaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(events, ['rows', 'core loaded'], 'the core loads after the first rows, not before');
});
