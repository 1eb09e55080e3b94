/**
 * `@kubernetes/client-node` as dist/proxy.js sees it: the KubeConfig (credentials, TLS, exec plugins)
 * from its own module, instead of the package index, which re-exports every API client, model,
 * watch and log helper. The other names are imported by Terrarium modules that the proxy's modules
 * reach but never call on its path (the request layer, the Cluster class); they come from their
 * small modules so the build links. A value import missing here fails the proxy's build, never a
 * connect. Swapped in by scripts/proxyBundle.mjs.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export { HttpMethod, RequestContext, ResponseContext } from '@kubernetes/client-node/dist/gen/http/http.js';
export { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js';
export { Observable } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
export { Exec } from '@kubernetes/client-node/dist/exec.js';
