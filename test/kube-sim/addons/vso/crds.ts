/**
 * The Vault Secrets Operator's CRDs (secrets.hashicorp.com/v1beta1): names, scope, the status
 * subresource, and structural schemas (the root knows spec and status only, so unknown top-level
 * fields are pruned). VaultStaticSecret's spec schema follows the real CRD (chart 1.4.x,
 * config/crd/bases in hashicorp/vault-secrets-operator: required fields, enums, the refreshAfter
 * pattern, defaults hmacSecretData=true, destination.create/overwrite=false); the other specs stay
 * open (x-kubernetes-preserve-unknown-fields). Objects the add-on creates in storage directly skip
 * defaulting (a real server defaults them on read too), so only fields the stand-in reads the same
 * way with or without them get defaults here.
 */
import type { CustomResourceDefinition } from '../../registry/crd';

export const VSO_GROUP = 'secrets.hashicorp.com';
export const VSO_VERSION = 'v1beta1';
export const VSO_KINDS = ['VaultConnection', 'VaultAuth', 'VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret'] as const;
export type VsoKind = (typeof VSO_KINDS)[number];

const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const str = { type: 'string' };
/** The spec schemas kube-sim applies (from the operator's CRDs, v1beta1, chart 1.4.x); the other kinds keep an open spec. */
const SPEC_SCHEMAS: Partial<Record<VsoKind, object>> = {
  VaultStaticSecret: {
    type: 'object', required: ['destination', 'mount', 'path', 'type'],
    properties: {
      vaultAuthRef: str, namespace: str, mount: str, path: str,
      version: { type: 'integer', minimum: 0 },
      type: { type: 'string', enum: ['kv-v1', 'kv-v2'] },
      refreshAfter: { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(s|m|h))$' },
      hmacSecretData: { type: 'boolean', default: true },
      rolloutRestartTargets: { type: 'array', items: { type: 'object', required: ['kind', 'name'], properties: {
        kind: { type: 'string', enum: ['Deployment', 'DaemonSet', 'StatefulSet', 'argo.Rollout'] }, name: str } } },
      destination: {
        type: 'object', required: ['name'],
        properties: {
          name: str, create: { type: 'boolean', default: false }, overwrite: { type: 'boolean', default: false },
          labels: { type: 'object', additionalProperties: str }, annotations: { type: 'object', additionalProperties: str },
          type: str, transformation: open,
        },
      },
      syncConfig: open,
    },
  },
};

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
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: SPEC_SCHEMAS[kind] ?? open, status: open } } },
      }],
    },
  };
}

export const VSO_CRDS: readonly CustomResourceDefinition[] = VSO_KINDS.map(crd);
