// dist/cli.js: the `terrarium` CLI and the core the extension loads (src/coreBundle.ts), one file
// so the .vsix carries client-node and the core once. Its esbuild options on top of the bundles'
// common ones (esbuild.mjs); the integration harness builds the same bundle from here.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// client-node's package index re-exports every generated API client and ~750 model classes. In a
// bundle whose modules load lazily (the CLI's commands), esbuild keeps all of a module re-exported
// with `export *`, so the index alone cost 420 KB minified. Terrarium calls the API through
// src/core/kube/api.ts; the few client-node names it uses come from their own modules
// (src/core/kube/clientNodeLean.ts), and config.js's import of the generated index is cut the same
// way. ListWatch (cache.js) imports the model serializer only to pass selector strings through
// unchanged (serialize(s, 'string') returns s): it gets exactly that instead of every model.
// client-node imports undici's index, which loads every dispatcher, mock, cache and interceptor of
// undici, for three names: fetch, Agent, ProxyAgent; they come from their own modules (fetch without
// the index's wrapper, which only appends a stack trace). The libraries of the legacy
// auth-providers (oidc, azure, gcp) are stubs that throw: Terrarium refuses those kubeconfig users
// before client-node sees them (kubeconfig.ts authProviderRefusal).
// undici carries its HTTP parser twice (WebAssembly with and without SIMD, 72 KB of base64 each);
// the bundle keeps the baseline one, which undici falls back to whenever the SIMD one fails to load.
// Its HTTP/2 client is left out too: undici offers h2 (ALPN) only with allowH2, which client-node never sets.
// Terrarium's only use of ssh2 is key generation and parsing (core/ssh/keys.ts): those two modules,
// not the SSH client, server and SFTP behind ssh2's index, nor the poly1305 WebAssembly that only
// its transport's chacha20 cipher calls (a stand-in that fails if it ever is), nor bcrypt-pbkdf (and
// tweetnacl), which only decrypts or encrypts a key with a passphrase: Terrarium's key has none.
// Which client-node modules remain, and why: `node esbuild.mjs --metafile`, test/bench/package.bench.ts.
const clientNodeDist = /[\\/]node_modules[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/;
const refused = (what) => `const refused = () => { throw new Error('${what} is not part of Terrarium: it refuses kubeconfig users with a legacy auth-provider.'); };`;
const LEAN = {
  serializer: 'export const ObjectSerializer = { serialize: (data) => data };',
  undici: "module.exports = { fetch: require('undici/lib/web/fetch/index.js').fetch, Agent: require('undici/lib/dispatcher/agent.js'), ProxyAgent: require('undici/lib/dispatcher/proxy-agent.js') };",
  'openid-client': `${refused('openid-client')} export const discovery = refused, refreshTokenGrant = refused, customFetch = Symbol("customFetch");`,
  'jsonpath-plus': `${refused('jsonpath-plus')} export const JSONPath = refused;`,
  'client-h2': "module.exports = () => { throw new Error('HTTP/2 is not bundled: Terrarium does not offer h2 (undici allowH2)'); };",
  'llhttp-simd': "throw new Error('llhttp with SIMD is not bundled; undici uses the baseline parser');",
  poly1305: "module.exports = async () => ({ _malloc: () => 0, cwrap: () => () => { throw new Error('poly1305 is not bundled: Terrarium makes no SSH transport in this process'); } });",
  'bcrypt-pbkdf': "module.exports = { pbkdf: () => { throw new Error('bcrypt-pbkdf is not bundled: Terrarium keys have no passphrase'); } };",
  ssh2: "import { parseKey } from 'ssh2/lib/protocol/keyParser.js'; import * as keygen from 'ssh2/lib/keygen.js'; export const utils = { parseKey, ...keygen };",
};
export const leanClientNode = {
  name: 'lean-client-node',
  setup(build) {
    build.onResolve({ filter: /^(\.\.\/llhttp\/llhttp_simd-wasm\.js|ssh2|\.\/crypto\/poly1305\.js|bcrypt-pbkdf|\.\/client-h2\.js)$/ }, (args) => {
      if (args.path === './client-h2.js' && /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/.test(args.importer)) return { path: 'client-h2', namespace: 'lean-client-node' };
      if (args.path === 'bcrypt-pbkdf' && /[\\/]ssh2[\\/]lib[\\/]/.test(args.importer)) return { path: 'bcrypt-pbkdf', namespace: 'lean-client-node' };
      if (/[\\/]ssh2[\\/]lib[\\/]protocol[\\/]crypto\.js$/.test(args.importer)) return { path: 'poly1305', namespace: 'lean-client-node' };
      if (args.path === 'ssh2' && !/[\\/]node_modules[\\/]/.test(args.importer)) return { path: 'ssh2', namespace: 'lean-client-node' };
      if (/[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h1\.js$/.test(args.importer)) return { path: 'llhttp-simd', namespace: 'lean-client-node' };
      return undefined;
    });
    build.onResolve({ filter: /^(@kubernetes\/client-node|\.\/gen\/index\.js|\.\/serializer\.js|undici|openid-client|jsonpath-plus)$/ }, (args) => {
      if (clientNodeDist.test(args.importer) && LEAN[args.path]) return { path: args.path, namespace: 'lean-client-node' };
      if (args.path === '@kubernetes/client-node' && !clientNodeDist.test(args.importer)) return { path: join(ROOT, 'src', 'core', 'kube', 'clientNodeLean.ts') };
      if (args.path === './gen/index.js' && /[\\/]client-node[\\/]dist[\\/]config\.js$/.test(args.importer)) return { path: join(ROOT, 'src', 'core', 'kube', 'clientNodeGenLean.ts') };
      if (args.path === './serializer.js' && /[\\/]client-node[\\/]dist[\\/]cache\.js$/.test(args.importer)) return { path: 'serializer', namespace: 'lean-client-node' };
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'lean-client-node' }, (args) => ({ contents: LEAN[args.path], loader: 'js', resolveDir: ROOT }));
  },
};
// keepNames off here: it wraps every class and function to keep `.name` (17 KB of the .vsix, compressed);
// nothing in Terrarium or the bundled libraries reads a bundled class's name (TerrariumError sets its own).
export function coreBuild(common, outfile = 'dist/cli.js') {
  return {
    ...common, keepNames: false, entryPoints: [join(ROOT, 'src', 'coreBundle.ts')], outfile, banner: { js: '#!/usr/bin/env node' },
    plugins: [...(common.plugins ?? []), leanClientNode],
  };
}
