/**
 * The CRDs every kube-sim has installed: the one place custom kinds come from. Each add-on
 * ships its CRD objects; the registry serves what they declare.
 */
import { SNAPSHOT_CRDS } from '../addons/snapshots/crds';
import { VSO_CRDS } from '../addons/vso/crds';
import type { CustomResourceDefinition } from './crd';

export const INSTALLED_CRDS: readonly CustomResourceDefinition[] = [...VSO_CRDS, ...SNAPSHOT_CRDS];
