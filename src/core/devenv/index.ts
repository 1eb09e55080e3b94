/** Environments and sandboxes: rendering, applying and operating them. Other modules import from here. */
export type { EnvSpec, Environment, EnvironmentStatus, RequestLimit, Sandbox, SandboxPhase, SandboxStatus } from './types';
export {
  MAX_NAME_LENGTH, validateRequestLimit, validateCidr, validateName, validateNamespace, validateQuantity, validateReplicas, validateSandboxName, validateSpec,
} from './validate';
export { DEFAULTS, renderEnvironment, renderNamespace, renderRbac, type RbacSubject, type RenderOptions } from './render';
export { findManifestsDir } from './manifests';
export { describeEgress, egressAllowWarnings, type EgressWarning, type EgressWarningKind } from './egress';
export { describeSandboxStatus } from './status';
export { environmentFromObjects, sandboxesFromObjects } from './model';
export {
  applyObject, createEnvironment, deleteEnvironment, getEnvironment, listEnvironments, listEventsAbout, listSandboxes, readSandboxLog, restartSandbox,
  scaleEnvironment, setEnvironmentResources, startEnvironment, stopEnvironment,
  type CreateOptions, type ResourceChange, type DeleteResult, type OpOptions, type ScaleOptions,
} from './operations';
export {
  ANNOTATION_CLAIMED_BY, ANNOTATION_HOST_PUBLIC_KEY, ANNOTATION_LAST_REPLICAS, DEFAULT_IMAGE, DEFAULT_MAX_REPLICAS,
  LABEL_ENVIRONMENT, LABEL_MANAGED_BY, SANDBOX_CONTAINER, SSH_PORT, hostKeySecretName, sandboxName, workspaceClaimName,
} from './names';
