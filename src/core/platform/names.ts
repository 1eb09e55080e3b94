/** Names the platform install writes and the status/doctor read (shared decisions of wave 3). */
import { CONTROLLER_NAME } from '../controller/access';

export const PLATFORM_FIELD_MANAGER = 'terrarium-platform';
/** On the namespace: the claim policy's binding selects namespaces with this label set to "true". */
export const LABEL_PLATFORM = 'terrarium.dev/platform';
/** On the namespace: the group whose members may act for others (the policy reads it; default below). */
export const ANNOTATION_ADMINS_GROUP = 'terrarium.dev/admins-group';
export const ANNOTATION_USERS_GROUP = 'terrarium.dev/users-group';
export const DEFAULT_USERS_GROUP = 'terrarium-users';
export const DEFAULT_ADMINS_GROUP = 'terrarium-admins';

/** The ValidatingAdmissionPolicy and its binding (manifests/claim-policy.yaml). */
export const CLAIM_POLICY = 'terrarium-claims';
/** Every rejection message of the policy starts with this, so translate.ts can recognise it. */
export const CLAIM_POLICY_PREFIX = 'terrarium-claims:';

/** The ConfigMap install writes: what was installed, readable by users who cannot read cluster-scoped objects. */
export const PLATFORM_CONFIGMAP = 'terrarium-platform';

/** The controller's ServiceAccount, Deployment and leader-election Lease share one name. */
export { CONTROLLER_NAME };
export const CONTROLLER_LEASE = CONTROLLER_NAME;

/** The default controller image: the one of this version, never :latest (issue 12 publishes it). */
export const controllerImageOf = (version: string): string => `ghcr.io/terrarium-dev/terrarium-controller:${version}`;

/** The namespace-wide ingress default install adds (environments add their own egress policies). */
export const DEFAULT_NETWORK_POLICY = 'terrarium-default-deny-ingress';
