/**
 * Stands in for the libraries of client-node's legacy auth-providers (openid-client for oidc,
 * jsonpath-plus for gcp and azure) inside dist/proxy.js. Terrarium never hands an auth-provider to
 * client-node (core/kube/kubeconfig.ts refuses them, as kubectl 1.26+ does), so the providers'
 * code is never reached. Swapped in by scripts/proxyBundle.mjs.
 */
const unavailable = (): never => {
  throw new Error('Terrarium does not run kubeconfig auth-providers; use a credential plugin (users[].user.exec).');
};

export const JSONPath = unavailable;
export const discovery = unavailable;
export const refreshTokenGrant = unavailable;
export const customFetch = Symbol('customFetch');
