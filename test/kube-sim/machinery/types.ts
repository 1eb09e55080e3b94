/**
 * The object shapes kube-sim stores and serves (k8s.io/apimachinery's ObjectMeta and friends).
 * Loose on purpose where the API is loose: kinds are plain JSON, so spec and status stay open.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [field: string]: any;
}

/** Any stored object: typed metadata, open everything else (spec, status, data, ...). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [field: string]: any;
}

/** An object as a client sends it: metadata fields the server sets are optional. */
export type ObjectInput = Omit<KubeObject, 'metadata'> & { metadata?: Partial<ObjectMeta> };

/** DeleteOptions as kube-sim reads them (only propagationPolicy and gracePeriodSeconds so far). */
export interface DeleteOptions { gracePeriodSeconds?: number; propagationPolicy?: string; [field: string]: unknown }

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** RFC 3339 to the second, as the API server writes timestamps. */
export const nowRfc3339 = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
