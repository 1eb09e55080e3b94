/**
 * What client-node's config.js takes from its generated-code index (for makeApiClient), from their
 * own modules: the index re-exports every API client and model (see clientNodeLean.ts).
 */
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';
