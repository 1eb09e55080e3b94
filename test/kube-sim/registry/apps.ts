/** apps/v1: StatefulSet, with the defaults and validation kube-sim applies today. */
import { validateStatefulSet } from './validation';
import { defineKind } from './types';

export const statefulsets = defineKind({
  group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'],
  subresources: ['status', 'scale'], nameIsLabel: true,
  strategy: {
    // Defaults as in k8s.io/kubernetes/pkg/apis/apps/v1/defaults.go (replicas 1, PVC retention Retain/Retain).
    // and podManagementPolicy OrderedReady, updateStrategy RollingUpdate with partition 0, revisionHistoryLimit 10.
    defaults(obj) {
      obj.spec ??= {}; // a StatefulSet without spec is a 422 from validation, not a crash here
      obj.spec.replicas = obj.spec?.replicas ?? 1;
      obj.spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      obj.spec.podManagementPolicy ??= 'OrderedReady';
      obj.spec.revisionHistoryLimit ??= 10;
      obj.spec.updateStrategy ??= {};
      obj.spec.updateStrategy.type ??= 'RollingUpdate';
      if (obj.spec.updateStrategy.type === 'RollingUpdate') {
        obj.spec.updateStrategy.rollingUpdate ??= {};
        obj.spec.updateStrategy.rollingUpdate.partition ??= 0;
      }
    },
    // ValidateStatefulSet/ValidateStatefulSetUpdate (registry/validation.ts): selector, template, immutable spec fields.
    validate: validateStatefulSet,
  },
});

/**
 * apps/v1 ControllerRevision: an immutable snapshot of a StatefulSet's pod template (`data`) with
 * its `revision` number; written by the StatefulSet controller, read by `kubectl rollout history|undo`.
 */
export const controllerrevisions = defineKind({ group: 'apps', version: 'v1', plural: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true });

/**
 * apps/v1 Deployment, stored and served (CRUD, watch, apply) so `terrarium platform install` and
 * `kubectl apply` can write the controller's Deployment; no Deployment controller runs (no
 * ReplicaSets or pods): tests run the Terrarium controller in-process instead.
 */
export const deployments = defineKind({ group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], subresources: ['status'] });

export const APPS_KINDS = [statefulsets, controllerrevisions, deployments];
