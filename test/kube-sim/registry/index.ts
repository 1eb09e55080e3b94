/**
 * The registry: every kind kube-sim serves, built-in or from a CRD. Discovery and the request
 * router read it; nothing else lists kinds. Definitions are compared by identity, so a kind is
 * defined once and looked up everywhere else.
 */
import { ADMISSIONREGISTRATION_KINDS } from './admissionregistration';
import { APPS_KINDS } from './apps';
import { COORDINATION_KINDS } from './coordination';
import { CORE_KINDS } from './core';
import { INSTALLED_CRDS } from './crds';
import { kindsOfCrd, type CustomResourceDefinition } from './crd';
import { OTHER_KINDS } from './others';
import { RBAC_KINDS } from './rbac';
import { groupVersion, type ResourceDef } from './types';

export { groupVersion, hasStatusSubresource, STANDARD_VERBS, type ResourceDef, type Strategy } from './types';
export type { CustomResourceDefinition } from './crd';

export class Registry {
  /** In registration order, which is discovery order. */
  readonly kinds: ResourceDef[] = [];

  add(...defs: ResourceDef[]): void {
    for (const d of defs) {
      if (this.find(d.group, d.version, d.plural)) throw new Error(`kube-sim: ${d.plural}.${d.group}/${d.version} registered twice`);
      this.kinds.push(d);
    }
  }

  /** Serves a CRD's kinds (one per served version). */
  registerCrd(crd: CustomResourceDefinition): ResourceDef[] {
    const defs = kindsOfCrd(crd);
    this.add(...defs);
    return defs;
  }

  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.kinds.find((r) => r.group === group && r.version === version && r.plural === plural);
  }

  forKind(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.kinds.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
  }

  /** Whether any kind is served at group/version. */
  servesGroupVersion(group: string, version: string): boolean {
    return this.kinds.some((r) => r.group === group && r.version === version);
  }
}

/** The one registry (kinds are process-wide: tests look them up with findResource before a sim starts). */
export const registry = new Registry();
registry.add(...CORE_KINDS, ...APPS_KINDS, ...OTHER_KINDS, ...RBAC_KINDS, ...ADMISSIONREGISTRATION_KINDS, ...COORDINATION_KINDS);
for (const crd of INSTALLED_CRDS) registry.registerCrd(crd);

/** Every kind, in discovery order (a live view: later registrations show up). */
export const RESOURCES: readonly ResourceDef[] = registry.kinds;

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return registry.find(group, version, plural);
}

export function resourceForKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return registry.forKind(apiVersion, kind);
}

/** The kinds controllers and the facade use by name. */
export { namespaces, pods, secrets, events, persistentvolumeclaims, services } from './core';
export { statefulsets } from './apps';
export { jobs, networkpolicies } from './others';
