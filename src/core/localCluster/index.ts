/** Local clusters with kind: `terrarium cluster create|delete|list|start|stop`. */
export { createLocalCluster, type CreateLocalClusterOptions, type LocalClusterResult } from './create';
export { deleteKindCluster, kubeconfigTarget, listKindClusters, startStopKindCluster } from './manage';
export { contextOf, DEFAULT_CLUSTER_NAME, KIND_NODE_IMAGE, nodeContainerOf, renderKindConfig, validateClusterName } from './kindConfig';
export { detectLocalTools, isProvider, kindOnPath, PROVIDERS, type LocalTools, type Provider } from './tools';
