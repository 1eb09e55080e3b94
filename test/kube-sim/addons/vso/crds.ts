/**
 * The Vault Secrets Operator's CRDs (secrets.hashicorp.com/v1beta1), reduced to what kube-sim
 * reads today: names, scope and the status subresource. The real ones (chart 1.4.x,
 * config/crd/bases in hashicorp/vault-secrets-operator) also carry OpenAPI schemas with
 * defaults; applying those is issue 10, section 2.
 */
import type { CustomResourceDefinition } from '../../registry/crd';

export const VSO_GROUP = 'secrets.hashicorp.com';
export const VSO_VERSION = 'v1beta1';
export const VSO_KINDS = ['VaultConnection', 'VaultAuth', 'VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret'] as const;
export type VsoKind = (typeof VSO_KINDS)[number];

function crd(kind: VsoKind): CustomResourceDefinition {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${VSO_GROUP}` },
    spec: {
      group: VSO_GROUP, scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      versions: [{
        name: VSO_VERSION, served: true, storage: true, subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      }],
    },
  };
}

export const VSO_CRDS: readonly CustomResourceDefinition[] = VSO_KINDS.map(crd);
