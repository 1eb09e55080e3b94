/** Compatibility path: kinds live in registry/, discovery documents in apiserver/handlers/discovery. */
export { findResource, groupVersion, resourceForKind, RESOURCES, type ResourceDef } from './registry';
export { apiGroupList, apiResourceList } from './apiserver/handlers/discovery';
