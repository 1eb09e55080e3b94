/**
 * Stands in for client-node's copy of js-yaml inside dist/proxy.js: only its KubeConfig.loadFromString
 * and exportConfig use it, and Terrarium reads kubeconfigs itself (core/kube/kubeconfig.ts, with its
 * own js-yaml) and hands client-node the parsed entries. Swapped in by scripts/proxyBundle.mjs.
 */
const unavailable = (): never => {
  throw new Error("client-node's kubeconfig parser is not part of Terrarium's ProxyCommand bundle (dist/proxy.js).");
};

export const load = unavailable;
export const dump = unavailable;
export default { load, dump };
