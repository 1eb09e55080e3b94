import { TerrariumError } from '../kube/errors';
import { isCidr, parseCidr } from './cidr';
import { DEFAULT_MAX_REPLICAS } from './names';
import type { EnvSpec } from './types';
import { policyAnnotations } from './policy';
import { validateSecretUses } from './secretUse';

/**
 * Longest environment name. The StatefulSet controller labels each pod with
 * `controller-revision-hash: <name>-<10 char hash>`, a label value limited to 63 characters.
 */
export const MAX_NAME_LENGTH = 52;

/**
 * An RFC 1123 label that also starts with a letter (the headless Service shares the name and
 * Service names must), at most 52 characters. Checked before any request is sent.
 */
export function validateName(name: string, what = 'environment name'): void {
  const hint = `Use lowercase letters, digits and "-", starting with a letter and ending with a letter or digit, at most ${MAX_NAME_LENGTH} characters, e.g. "team-dev".`;
  if (typeof name !== 'string' || name.length === 0) {
    throw new TerrariumError('InvalidInput', `The ${what} is empty.`, hint);
  }
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  if (name.length > MAX_NAME_LENGTH) {
    throw new TerrariumError('InvalidInput', `The ${what} ${shown} is ${name.length} characters long; at most ${MAX_NAME_LENGTH} fit into the names of its pods and workspaces.`, hint);
  }
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new TerrariumError('InvalidInput', `The ${what} ${shown} is not a valid Kubernetes name (RFC 1123 label).`, hint);
  }
}

/** A sandbox name is `<environment>-<ordinal>`. */
export function validateSandboxName(name: string): void {
  const m = /^(.*)-(0|[1-9][0-9]*)$/.exec(typeof name === 'string' ? name : '');
  const hint = 'Sandboxes are named <environment>-<ordinal>, e.g. "team-dev-0".';
  if (!m) throw new TerrariumError('InvalidInput', `${JSON.stringify(name)} is not a sandbox name.`, hint);
  validateName(m[1]!, 'environment part of the sandbox name');
}

/** Whole number of sandboxes from 0 (stopped) to max (the terrarium.maxReplicas setting, default 20). */
export function validateReplicas(n: number, max: number = DEFAULT_MAX_REPLICAS): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
    throw new TerrariumError('InvalidInput', `${Number.isNaN(n) ? 'That' : String(n)} is not a valid number of sandboxes: use a whole number from 0 to ${max}.`,
      n > max ? `${MAX_REPLICAS_SOURCE} (${max}); raise it to allow more.` : 'For example 3.');
  }
}

/** Where the limit on sandboxes per environment is set, for messages: both places name it. */
export const MAX_REPLICAS_SOURCE = 'The limit comes from the terrarium.maxReplicas setting in VS Code, or TERRARIUM_MAX_REPLICAS for the CLI';

/** The CLI's limit on sandboxes per environment: TERRARIUM_MAX_REPLICAS (1 to 1000), else the default. */
export function maxReplicasFrom(env: Record<string, string | undefined>): number {
  const raw = env.TERRARIUM_MAX_REPLICAS;
  if (raw === undefined || raw === '') return DEFAULT_MAX_REPLICAS;
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || n < 1 || n > 1000) {
    throw new TerrariumError('InvalidInput', `TERRARIUM_MAX_REPLICAS="${raw.slice(0, 20)}" is not a usable limit.`,
      'Set it to a whole number from 1 to 1000, e.g. TERRARIUM_MAX_REPLICAS=50, or unset it for the default of 20.');
  }
  return n;
}

// Kubernetes resource.Quantity: a number with an optional binary (Ki..Ei), decimal (m, k, M..E) or exponent suffix.
const QUANTITY = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)?$/;

export function validateQuantity(value: string, what: string, example: string): void {
  if (typeof value !== 'string' || !QUANTITY.test(value)) {
    throw new TerrariumError('InvalidInput', `The ${what} ${JSON.stringify(value)} is not a Kubernetes quantity.`, `Use a number with an optional unit, e.g. "${example}".`);
  }
}

const SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A quantity as a number (close enough to compare a request with a limit). */
export function quantityValue(value: string): number {
  const m = QUANTITY.exec(value);
  if (!m) return NaN;
  const unit = m[3];
  const base = Number(value.slice(0, value.length - (unit?.length ?? 0)));
  return unit ? (SUFFIX[unit] !== undefined ? base * SUFFIX[unit]! : Number(value)) : base;
}

/** Request and limit each a quantity, and the request not above the limit (the API rejects that). */
export function validateRequestLimit(v: { request?: string; limit?: string }, what: 'cpu' | 'memory'): void {
  const example = what === 'cpu' ? '500m' : '2Gi';
  if (v.request !== undefined) validateQuantity(v.request, `${what} request`, example);
  if (v.limit !== undefined) validateQuantity(v.limit, `${what} limit`, example);
  if (v.request !== undefined && v.limit !== undefined && quantityValue(v.request) > quantityValue(v.limit)) {
    throw new TerrariumError('InvalidInput', `The ${what} request ${v.request} is above its limit ${v.limit}.`, 'Lower the request or raise the limit: Kubernetes rejects a request above the limit.');
  }
}

/**
 * "10.1.2.0/24", "2001:db8::/32" or a bare address (taken as /32 or /128). Texts Kubernetes would
 * refuse or could read two ways (host bits set, IPv4-mapped IPv6, zone ids) are refused here.
 */
export function validateCidr(value: string): void {
  const c = parseCidr(value);
  if (isCidr(c)) return;
  const shown = JSON.stringify(value);
  if (c.kind === 'host-bits') {
    throw new TerrariumError('InvalidInput', `The egress allow-list entry ${shown} has bits set after its prefix length.`,
      `Write the block as ${c.network}, or a single address without a prefix.`);
  }
  if (c.kind === 'ipv4-mapped') {
    throw new TerrariumError('InvalidInput', `The egress allow-list entry ${shown} is an IPv4-mapped IPv6 address.`, `Write it as IPv4: ${c.ipv4}.`);
  }
  throw new TerrariumError('InvalidInput', `The egress allow-list entry ${shown} is not a CIDR.`, 'Use an address block such as "10.20.0.0/16" or a single address such as "10.20.1.5".');
}

/** Everything in a spec, so a bad value fails here with its name instead of as a 422 mid-way through an apply. */
export function validateSpec(spec: EnvSpec, maxReplicas: number = DEFAULT_MAX_REPLICAS): void {
  validateName(spec.name);
  if (spec.replicas !== undefined) validateReplicas(spec.replicas, maxReplicas);
  if (spec.image !== undefined && (typeof spec.image !== 'string' || !/^[^\s]+$/.test(spec.image))) {
    throw new TerrariumError('InvalidInput', `The image ${JSON.stringify(spec.image)} is not an image reference.`, 'Use a reference such as "ghcr.io/terrarium-dev/terrarium-devenv:1.2.3".');
  }
  for (const [key, v] of [['cpu', spec.cpu], ['memory', spec.memory]] as const) {
    const example = key === 'cpu' ? '500m' : '2Gi';
    if (v?.request !== undefined) validateQuantity(v.request, `${key} request`, example);
    if (v?.limit !== undefined) validateQuantity(v.limit, `${key} limit`, example);
  }
  if (spec.storage?.size !== undefined) validateQuantity(spec.storage.size, 'storage size', '10Gi');
  const cls = spec.storage?.className;
  if (cls !== undefined && cls !== '' && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(cls)) {
    throw new TerrariumError('InvalidInput', `The storage class ${JSON.stringify(cls)} is not a valid StorageClass name.`, 'Use the name shown by "kubectl get storageclass", or leave it empty for the cluster default.');
  }
  for (const cidr of spec.egressAllow ?? []) validateCidr(cidr);
  if (spec.secrets !== undefined) validateSecretUses(spec.secrets);
  // Pool and idle settings too, so a bad one is refused before anything is written.
  policyAnnotations({ warmSpares: spec.warmSpares, claimTtl: spec.claimTtl, idleStopAfter: spec.idleStopAfter }, maxReplicas);
}

/** Namespaces are plain RFC 1123 labels (a leading digit is allowed), at most 63 characters. */
export function validateNamespace(name: string): void {
  if (typeof name !== 'string' || name.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new TerrariumError('InvalidInput', `The namespace ${JSON.stringify(name)} is not a valid Kubernetes namespace name.`,
      'Use lowercase letters, digits and "-", at most 63 characters, e.g. "devenv".');
  }
}
