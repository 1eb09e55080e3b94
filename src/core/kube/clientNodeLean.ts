/**
 * `@kubernetes/client-node` as the CLI/core bundle (dist/cli.js) sees it: each name Terrarium uses
 * at run time, from its own module instead of the package index. The index re-exports (`export *`)
 * every generated API client and model; in a bundle whose modules load lazily (the CLI's commands)
 * esbuild keeps all of a re-exported module, so the index alone cost 420 KB. Terrarium calls the API
 * through api.ts. Swapped in by esbuild.mjs; tests and tsx use the real index. A value import
 * missing here fails the build, not a run.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { Exec } from '@kubernetes/client-node/dist/exec.js';
export { Watch } from '@kubernetes/client-node/dist/watch.js';
export { ListWatch } from '@kubernetes/client-node/dist/cache.js';
export { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
export { setHeaderOptions } from '@kubernetes/client-node/dist/middleware.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export { HttpMethod, RequestContext, ResponseContext } from '@kubernetes/client-node/dist/gen/http/http.js';
export { IsomorphicFetchHttpLibrary } from '@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js';
export { Observable } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
