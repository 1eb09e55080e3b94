/**
 * Admission, as kube-apiserver runs it: mutating plugins in order (they may change the object or
 * reject), then the registry strategy (defaults, validation), then validating plugins in order
 * (reject only, or add warnings), then storage. Status writes skip admission today (a real server
 * admits them with subresource "status").
 */
import { badRequest } from '../../machinery/errors';
import type { KubeObject, ObjectInput } from '../../machinery/types';
import { pruneBuiltin } from '../../registry/validation';
import type { ResourceDef } from '../../registry/types';
import type { UserInfo } from '../filters/authentication';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** What plugins see (k8s.io/apiserver admission.Attributes). */
export interface AdmissionAttributes {
  operation: Operation;
  resource: ResourceDef;
  subresource?: string;
  /** The request's namespace (from the URL). */
  namespace?: string;
  name: string;
  object: ObjectInput;
  oldObject?: KubeObject;
  user: UserInfo;
  dryRun: boolean;
  /** request.kind when it is not the resource's kind (CONNECT: PodExecOptions, PodAttachOptions, PodPortForwardOptions). */
  kind?: string;
  /** request.options: DeleteOptions for DELETE (CreateOptions/UpdateOptions are not modelled). */
  options?: object;
  /** The write is a server-side apply (PATCH application/apply-patch+yaml) that creates the object. */
  applyCreate?: boolean;
  /** Warnings for the client (sent as `Warning: 299 - "..."` headers); plugins push onto it. */
  warnings?: string[];
  /** The request's fieldValidation (Strict, Warn, Ignore; '' or absent: the server's default). */
  fieldValidation?: string;
}

/** A Warning header value as kube-apiserver writes it (k8s.io/apiserver/pkg/warning: code 299, agent "-", quoted text). */
export const warningHeader = (text: string) => `299 - "${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

export interface MutatingPlugin { readonly name: string; admit(a: AdmissionAttributes): void }
export interface ValidatingPlugin { readonly name: string; validate(a: AdmissionAttributes): void }

export class AdmissionChain {
  constructor(readonly mutating: MutatingPlugin[] = [], readonly validating: ValidatingPlugin[] = []) {}

  /**
   * Runs a write through mutating plugins, the kind's strategy and validating plugins; throws the
   * first rejection. DELETE (object empty, oldObject the stored object, options the DeleteOptions)
   * and CONNECT (object the PodExecOptions/PodAttachOptions/PodPortForwardOptions) have no decoding
   * or strategy step: only the plugins see them, as in the generic registry's deleteValidation and
   * the connect handler (k8s.io/apiserver endpoints/handlers/rest.go ConnectResource).
   */
  run(a: AdmissionAttributes): void {
    if (a.operation === 'DELETE' || a.operation === 'CONNECT') {
      for (const p of this.mutating) p.admit(a);
      for (const p of this.validating) p.validate(a);
      return;
    }
    this.decodeFields(a);
    for (const p of this.mutating) p.admit(a);
    const strategy = a.resource.strategy;
    strategy?.defaults?.(a.object, a.oldObject);
    strategy?.validate?.(a.object, a.oldObject);
    for (const p of this.validating) p.validate(a);
  }

  /**
   * Unknown fields, as decoding meets them before admission (docs: API concepts, "Field validation"):
   * dropped; with fieldValidation=Strict a 400 naming them; Warn (the server's default) a warning
   * each; Ignore nothing. Built-in kinds use kube-sim's field lists (registry/validation.ts).
   */
  private decodeFields(a: AdmissionAttributes): void {
    const mode = a.fieldValidation || 'Warn';
    if (!['Strict', 'Warn', 'Ignore'].includes(mode)) throw badRequest(`fieldValidation: Invalid value: "${mode}": fieldValidation must be one of "Ignore", "Warn", or "Strict"`);
    const dropped = a.resource.strategy?.prune?.(a.object) ?? pruneBuiltin(a.resource.group, a.resource.kind, a.object) ?? [];
    if (!dropped.length || mode === 'Ignore') return;
    const texts = dropped.map((f) => `unknown field "${f}"`);
    // The handlers' transformDecodeError wording (endpoints/handlers/create.go).
    const { kind, version } = a.resource;
    if (mode === 'Strict') throw badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${texts.join(', ')}`);
    a.warnings?.push(...texts);
  }
}
