/** Claims: the record (record.ts), acting as whom (acting.ts), keys (keys.ts), claim, release and the warm pool. */
export {
  CLAIMED_AT, CLAIMED_BY, MAX_USER_LENGTH, claimOf, environmentOf, listClaims, pvcNameFor, validateEnvironment, validateUser,
  type Claim, type SandboxClaimState,
} from './record';
export { actingAs, impersonate, USERS_GROUP, type Acting } from './acting';
export { installPublicKey, removeAllKeys, removePublicKey, validatePublicKey, type InstallKeyOptions } from './keys';
export { claimSandbox, type ClaimOptions, type ClaimResult } from './claim';
export { releaseSandbox, type ReleaseOptions, type ReleaseResult } from './release';
export { CONTROLLER_LEASE, controllerRunning, restoreWarmSpares, restoreWarmSparesLater, settleWarmPool, type WarmPoolRestore } from './warmPool';
