/** Compatibility path: the VSO stand-in lives in addons/vso/. */
export { createVsoSample, parseGoDuration, VSO_GROUP, VsoStandIn, type VsoControls } from './addons/vso';
