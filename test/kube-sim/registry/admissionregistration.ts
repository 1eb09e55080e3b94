/**
 * admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding
 * (cluster-scoped; the policy has a status subresource). The admission plugin that evaluates them
 * is apiserver/admission/plugins/validatingAdmissionPolicy.ts.
 * Strategy: a binding needs spec.policyName, a policy needs validations (or auditAnnotations)
 * (pkg/apis/admissionregistration/validation, the required fields only).
 */
import { invalid } from '../machinery/errors';
import { defineKind } from './types';

const GROUP = 'admissionregistration.k8s.io';

export const validatingadmissionpolicies = defineKind({
  group: GROUP, version: 'v1', plural: 'validatingadmissionpolicies', kind: 'ValidatingAdmissionPolicy', namespaced: false, subresources: ['status'],
  strategy: {
    defaults(obj) {
      obj.spec ??= {};
      obj.spec.failurePolicy ??= 'Fail';
      obj.spec.matchConstraints ??= {};
      obj.spec.matchConstraints.matchPolicy ??= 'Equivalent';
      obj.spec.matchConstraints.namespaceSelector ??= {};
      obj.spec.matchConstraints.objectSelector ??= {};
    },
    validate(obj) {
      const s = obj.spec ?? {};
      if (!s.validations?.length && !s.auditAnnotations?.length) {
        throw invalid('ValidatingAdmissionPolicy', GROUP, obj.metadata?.name ?? '', [{ field: 'spec.validations', message: 'Required value: validations or auditAnnotations must contain at least one item', reason: 'FieldValueRequired' }]);
      }
      if (!s.matchConstraints?.resourceRules?.length) {
        throw invalid('ValidatingAdmissionPolicy', GROUP, obj.metadata?.name ?? '', [{ field: 'spec.matchConstraints.resourceRules', message: 'Required value', reason: 'FieldValueRequired' }]);
      }
    },
  },
});

export const validatingadmissionpolicybindings = defineKind({
  group: GROUP, version: 'v1', plural: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding', namespaced: false,
  strategy: {
    validate(obj) {
      const name = obj.metadata?.name ?? '';
      if (!obj.spec?.policyName) throw invalid('ValidatingAdmissionPolicyBinding', GROUP, name, [{ field: 'spec.policyName', message: 'Required value', reason: 'FieldValueRequired' }]);
      if (!obj.spec?.validationActions?.length) throw invalid('ValidatingAdmissionPolicyBinding', GROUP, name, [{ field: 'spec.validationActions', message: 'Required value', reason: 'FieldValueRequired' }]);
    },
  },
});

export const ADMISSIONREGISTRATION_KINDS = [validatingadmissionpolicies, validatingadmissionpolicybindings];
