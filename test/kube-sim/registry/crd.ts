/**
 * CustomResourceDefinitions (apiextensions.k8s.io/v1) turned into registry kinds, as the
 * apiextensions-apiserver does for each served version: names, scope, subresources, and the
 * version's structural schema as the kind's strategy (pruning, defaults, validation:
 * registry/structuralSchema.ts). With the status subresource, a create drops status and a write
 * to the main resource keeps the stored status (customResourceStrategy PrepareForCreate/Update).
 */
import { invalid } from '../machinery/errors';
import { applyDefaults, prune, validateSchema, type Schema } from './structuralSchema';
import { defineKind, type ResourceDef, type Strategy } from './types';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; plural: string; singular?: string; listKind?: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: object; scale?: object };
      schema?: { openAPIV3Schema: object };
      /** What `kubectl get` shows (the server's Table), besides Name. */
      additionalPrinterColumns?: { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
    }[];
  };
}

/** One registry kind per served version. */
export function kindsOfCrd(crd: CustomResourceDefinition): ResourceDef[] {
  const { group, scope, names } = crd.spec;
  if (crd.metadata.name !== `${names.plural}.${group}`) throw new Error(`kube-sim: CRD ${crd.metadata.name} must be named ${names.plural}.${group}`);
  return crd.spec.versions.filter((v) => v.served).map((v) => defineKind({
    group, version: v.name, plural: names.plural, singular: names.singular ?? names.kind.toLowerCase(), kind: names.kind,
    namespaced: scope === 'Namespaced', shortNames: names.shortNames, printerColumns: v.additionalPrinterColumns,
    subresources: [...(v.subresources?.status ? ['status'] : []), ...(v.subresources?.scale ? ['scale'] : [])],
    strategy: schemaStrategy(group, names.kind, v.schema?.openAPIV3Schema as Schema | undefined, !!v.subresources?.status),
  }));
}

function schemaStrategy(group: string, kind: string, schema: Schema | undefined, statusSubresource: boolean): Strategy {
  return {
    prune: (obj) => prune(obj, schema),
    defaults(obj, old) {
      if (statusSubresource) {
        if (old?.status !== undefined) obj.status = structuredClone(old.status);
        else delete obj.status;
      }
      applyDefaults(obj, schema);
    },
    validate(obj) {
      const errs = validateSchema(obj, schema);
      if (errs.length) throw invalid(kind, group, obj.metadata?.name ?? '', errs);
    },
  };
}
