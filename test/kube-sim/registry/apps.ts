/** apps/v1: StatefulSet, with the defaults and validation kube-sim applies today. */
import { validateStatefulSet } from './validation';
import { defineKind } from './types';

export const statefulsets = defineKind({
  group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'],
  subresources: ['status', 'scale'], nameIsLabel: true,
  strategy: {
    // Defaults as in k8s.io/kubernetes/pkg/apis/apps/v1/defaults.go (replicas 1, PVC retention Retain/Retain).
    // Only these two so far: updateStrategy, podManagementPolicy, revisionHistoryLimit are not filled (issue 10).
    defaults(obj) {
      obj.spec ??= {}; // a StatefulSet without spec is a 422 from validation, not a crash here
      obj.spec.replicas = obj.spec?.replicas ?? 1;
      obj.spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
    },
    // ValidateStatefulSet/ValidateStatefulSetUpdate (registry/validation.ts): selector, template, immutable spec fields.
    validate: validateStatefulSet,
  },
});

export const APPS_KINDS = [statefulsets];
