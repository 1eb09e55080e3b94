/** apps/v1: StatefulSet, with the defaults and validation kube-sim applies today. */
import { invalid } from '../machinery/errors';
import { defineKind } from './types';

export const statefulsets = defineKind({
  group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'],
  subresources: ['status', 'scale'], nameIsLabel: true,
  strategy: {
    // Defaults as in k8s.io/kubernetes/pkg/apis/apps/v1/defaults.go (replicas 1, PVC retention Retain/Retain).
    // Only these two so far: updateStrategy, podManagementPolicy, revisionHistoryLimit are not filled (issue 10).
    defaults(obj) {
      obj.spec.replicas = obj.spec?.replicas ?? 1;
      obj.spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
    },
    validate(obj) {
      const replicas = obj.spec?.replicas;
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw invalid('StatefulSet', 'apps', obj.metadata?.name ?? '', [{ field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` }]);
      }
    },
  },
});

export const APPS_KINDS = [statefulsets];
