// dist/proxy.js, the SSH ProxyCommand (src/proxy/main.ts): ssh starts it on every connect, so Node
// should parse as little as possible. client-node's KubeConfig (credentials, TLS, exec plugins) is
// the real one; what client-node imports only for its API clients, watches and logs is swapped for
// stubs that throw (src/proxy/stubs/): the generated API and model classes, undici, the libraries of
// the legacy auth-providers Terrarium refuses, and its YAML parser (Terrarium parses kubeconfigs
// itself). Terrarium's own imports of the package index get the KubeConfig and the few small
// modules their files name (stubs/clientNode.ts). test/unit/proxy-bundle.test.ts checks what stays out.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const stubs = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'proxy', 'stubs');
const clientNode = /[\\/]node_modules[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/;

/** Which stub replaces an import, by the importing file; undefined keeps the real module. */
function stubFor(path, importer) {
  if (path === '@kubernetes/client-node') return 'clientNode.ts';
  if (!clientNode.test(importer)) return undefined;
  if (path === './gen/index.js' && /[\\/]config\.js$/.test(importer)) return 'clientNodeGen.ts';
  if (path === 'undici') return 'undici.ts';
  if (path === 'openid-client' || path === 'jsonpath-plus') return 'authProviders.ts';
  // KubeConfig.loadFromString's parser: Terrarium reads kubeconfigs itself (core/kube/kubeconfig.ts).
  if (path === 'js-yaml') return 'yaml.ts';
  return undefined;
}

export const leanClientNode = {
  name: 'terrarium-lean-client-node',
  setup(build) {
    build.onResolve({ filter: /^(@kubernetes\/client-node|\.\/gen\/index\.js|undici|openid-client|jsonpath-plus|js-yaml)$/ }, (args) => {
      const stub = stubFor(args.path, args.importer);
      return stub ? { path: join(stubs, stub) } : undefined;
    });
  },
};

/** The proxy's esbuild options on top of the bundles' common ones (esbuild.mjs). */
export function proxyBuild(common, outfile = 'dist/proxy.js') {
  return {
    ...common, entryPoints: [join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'proxy', 'main.ts')], outfile,
    plugins: [...(common.plugins ?? []), leanClientNode],
  };
}
