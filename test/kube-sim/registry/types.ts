/**
 * What the registry knows about one kind: its place in the API (group, version, resource, scope,
 * verbs, subresources) and its strategy (defaults, validation), like a kube-apiserver REST
 * storage plus its strategy (k8s.io/apiserver/pkg/registry/rest).
 */
import type { KubeObject, ObjectInput } from '../machinery/types';

export interface Strategy {
  /**
   * Fills defaults on create and update (the scheme's defaulting plus PrepareForCreate/Update).
   * Runs after mutating admission, before validation; status writes skip it.
   */
  defaults?(obj: ObjectInput, old: KubeObject | undefined): void;
  /** Validates a create or update; throws a 422 Invalid (the strategy's Validate/ValidateUpdate). */
  validate?(obj: ObjectInput, old: KubeObject | undefined): void;
  /** Drops the fields the kind does not know (decoding, or a CRD's structural pruning); returns their paths for fieldValidation. */
  prune?(obj: ObjectInput): string[];
}

export interface ResourceDef {
  group: string; // '' for core
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /**
   * Subresources served. With 'status', status is written only through /status and writes to
   * the main resource keep the stored status (the status strategy).
   */
  subresources?: string[];
  /** Verbs discovery lists for the resource itself. */
  verbs: string[];
  /** metadata.name must be a DNS-1123 label (Namespace, Service, Pod, StatefulSet) instead of a subdomain. */
  nameIsLabel?: boolean;
  strategy?: Strategy;
  /** A CRD version's additionalPrinterColumns (the Table kubectl get shows). */
  printerColumns?: { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
}

export const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export type KindInput = Omit<ResourceDef, 'verbs' | 'singular'> & { verbs?: string[]; singular?: string };

export function defineKind(k: KindInput): ResourceDef {
  return { ...k, singular: k.singular ?? k.kind.toLowerCase(), verbs: k.verbs ?? STANDARD_VERBS };
}

export const groupVersion = (r: Pick<ResourceDef, 'group' | 'version'>) => (r.group ? `${r.group}/${r.version}` : r.version);

export const hasStatusSubresource = (r: ResourceDef) => !!r.subresources?.includes('status');
