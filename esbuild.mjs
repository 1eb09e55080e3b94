// Builds the three bundles: the extension (vscode external), the `terrarium` CLI (one file, so the
// SSH ProxyCommand starts fast), and the webview UI. `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  // Minified: the bundles carry client-node (~9 MB of JS); parsing less on every ssh connect
  // (the CLI is the ProxyCommand) and at activation matters more than readable output.
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  // ws tries these optional native add-ons; without them it uses its JS fallbacks.
  external: ['bufferutil', 'utf-8-validate', 'cpu-features'],
  loader: { '.node': 'empty' },
};

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: [...common.external, 'vscode'] },
  // The core the extension loads on first use (src/extension/core.ts): client-node is most of it.
  { ...common, entryPoints: ['src/extension/coreModules.ts'], outfile: 'dist/extension-core.js' },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  (await import('./scripts/proxyBundle.mjs')).proxyBuild(common), // dist/proxy.js: the ssh ProxyCommand, lean (see that file)
];
if (existsSync('webview/main.ts')) {
  builds.push({ bundle: true, platform: 'browser', format: 'iife', target: 'es2022', sourcemap: 'linked', minify: true, logLevel: 'warning',
    entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', loader: { '.ttf': 'file', '.css': 'css' } });
}

// Codicons load as their own stylesheet (vscode-elements looks it up by id) with the font next to it.
mkdirSync('dist', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/${f}`);

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
