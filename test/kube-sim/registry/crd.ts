/**
 * CustomResourceDefinitions (apiextensions.k8s.io/v1) turned into registry kinds, as the
 * apiextensions-apiserver does for each served version. Only names, scope and subresources are
 * read so far: schemas (defaults, validation, pruning) are not applied yet (issue 10, section 2).
 */
import { defineKind, type ResourceDef } from './types';

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
    }[];
  };
}

/** One registry kind per served version. */
export function kindsOfCrd(crd: CustomResourceDefinition): ResourceDef[] {
  const { group, scope, names } = crd.spec;
  if (crd.metadata.name !== `${names.plural}.${group}`) throw new Error(`kube-sim: CRD ${crd.metadata.name} must be named ${names.plural}.${group}`);
  return crd.spec.versions.filter((v) => v.served).map((v) => defineKind({
    group, version: v.name, plural: names.plural, singular: names.singular ?? names.kind.toLowerCase(), kind: names.kind,
    namespaced: scope === 'Namespaced', shortNames: names.shortNames,
    subresources: [...(v.subresources?.status ? ['status'] : []), ...(v.subresources?.scale ? ['scale'] : [])],
  }));
}
