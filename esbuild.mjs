// Builds the bundles: the extension (vscode external, small: it loads the core on first use), the
// core + `terrarium` CLI (one file the extension requires and the CLI runs, so the .vsix carries the
// core once), and the webview UI. `node esbuild.mjs --watch` rebuilds on change; `--metafile` also
// writes dist/<name>.meta.json (what each input adds, for test/bench/package.bench.ts).
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { coreBuild } from './scripts/coreBundle.mjs';
import { extensionBuild } from './scripts/extensionBundle.mjs';

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
  extensionBuild(common), // dist/extension.js: small, no core (scripts/extensionBundle.mjs)
  // The CLI and the core the extension loads on first use (src/extension/core.ts), one file.
  coreBuild(common),
  (await import('./scripts/proxyBundle.mjs')).proxyBuild(common), // dist/proxy.js: the ssh ProxyCommand, lean (see that file)
];
if (existsSync('webview/main.ts')) {
  builds.push({ bundle: true, platform: 'browser', format: 'iife', target: 'es2022', sourcemap: 'linked', minify: true, logLevel: 'warning',
    entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', loader: { '.ttf': 'file', '.css': 'css' } });
}

// Codicons load as their own stylesheet (vscode-elements looks it up by id) with the font next to it.
mkdirSync('dist', { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/${f}`);

const metafile = process.argv.includes('--metafile');
if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map(async (b) => {
    const r = await esbuild.build({ ...b, metafile });
    if (metafile) writeFileSync(b.outfile.replace(/\.js$/, '.meta.json'), JSON.stringify(r.metafile));
  }));
}
