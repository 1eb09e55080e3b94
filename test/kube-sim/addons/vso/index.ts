/** The Vault Secrets Operator stand-in: its CRDs, the operator, and sample objects. */
export { VSO_CRDS, VSO_GROUP, VSO_KINDS, VSO_VERSION, type VsoKind } from './crds';
export { API_VERSION, parseGoDuration, VSO, VsoStandIn, type ApiGroupSwitch, type VsoControls } from './standIn';
export { createVsoSample } from './sample';
