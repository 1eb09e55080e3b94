/** What the VS Code commands "Install Platform…" and "Run Doctor" use of the platform core (one entry for coreModules). */
export { renderPlatform, type Obj, type PlatformOptions } from './render';
export { describeObject } from './install';
export { setupPlatform, type SetupResult } from './setup';
export { VSO_CHART_VERSION, VSO_NAMESPACE, DEFAULT_VAULT_AUTH_MOUNT, DEFAULT_VAULT_SERVICE_ACCOUNT, type VsoOptions } from './extras';
export { DEFAULT_ADMINS_GROUP, DEFAULT_USERS_GROUP } from './names';
export { runDoctor, doctorWithoutCluster, type DoctorReport } from './doctor';
