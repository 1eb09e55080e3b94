/**
 * What the apiextensions-apiserver does with a CRD version's structural openAPIV3Schema
 * (docs: "Extend the Kubernetes API with CustomResourceDefinitions": pruning, defaulting, validation):
 * - prune: fields the schema does not specify are dropped, unless x-kubernetes-preserve-unknown-fields
 *   (apiVersion, kind and metadata at the root are always kept); returns the dropped paths, which
 *   fieldValidation turns into errors or warnings;
 * - defaults: `default` of each absent property, applied top-down (a defaulted object gets its own defaults);
 * - validate: type, enum, required, pattern, minimum/maximum, min/maxLength, min/maxItems, with the
 *   field error texts kube-openapi's validator gives through apiextensions (e.g. `spec.x: Invalid value:
 *   "string": spec.x in body must be of type integer: "string"`).
 * oneOf is followed (CSI snapshot sources use it). Not followed: x-kubernetes-validations (CEL rules), formats, anyOf/allOf/not, list-type/map-type
 * uniqueness, x-kubernetes-embedded-resource metadata checks.
 */
import type { FieldError } from '../machinery/errors';

export type Schema = Record<string, any>;
const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** Drops what the schema does not know; returns the dropped fields' paths (as strict decoding names them). */
export function prune(value: unknown, schema: Schema | undefined, path = '', root = true): string[] {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties && !schema.additionalProperties) return [];
  const out: string[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => out.push(...prune(item, schema.items, `${path}[${i}]`, false)));
    return out;
  }
  if (!isObj(value)) return out;
  const props: Schema = schema.properties ?? {};
  for (const key of Object.keys(value)) {
    if (root && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) continue;
    if (props[key]) out.push(...prune(value[key], props[key], join(path, key), false));
    else if (isObj(schema.additionalProperties)) out.push(...prune(value[key], schema.additionalProperties, join(path, key), false));
    else if (schema.additionalProperties === true || schema['x-kubernetes-preserve-unknown-fields'] === true) continue;
    else { delete value[key]; out.push(join(path, key)); }
  }
  return out;
}

/** Fills `default`s of absent properties, top-down. */
export function applyDefaults(value: unknown, schema: Schema | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) { for (const item of value) applyDefaults(item, schema.items); return; }
  if (!isObj(value)) return;
  for (const [key, sub] of Object.entries<Schema>(schema.properties ?? {})) {
    if (value[key] === undefined && sub.default !== undefined) value[key] = structuredClone(sub.default);
    applyDefaults(value[key], sub);
  }
  if (isObj(schema.additionalProperties)) for (const v of Object.values(value)) applyDefaults(v, schema.additionalProperties);
}

const typeOf = (v: unknown): string => v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v === 'object' ? 'object' : typeof v;
const goValue = (v: unknown) => typeof v === 'string' ? `"${v}"` : JSON.stringify(v);

/** The field errors of a value against its schema (empty when valid). */
export function validateSchema(value: unknown, schema: Schema | undefined, path = ''): FieldError[] {
  if (!schema || value === undefined) return [];
  const errs: FieldError[] = [];
  const t = typeOf(value);
  if (value === null && schema.nullable) return [];
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (t !== 'integer' && t !== 'string') errs.push({ field: path, message: `Invalid value: "${t}": ${path} in body must be of type integer,string: "${t}"` });
  } else if (schema.type && !(schema.type === t || (schema.type === 'number' && t === 'integer'))) {
    return [{ field: path, message: `Invalid value: "${t}": ${path} in body must be of type ${schema.type}: "${t}"` }];
  }
  if (schema.enum && !schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))) {
    errs.push({ field: path, message: `Unsupported value: ${goValue(value)}: supported values: ${schema.enum.map(goValue).join(', ')}`, reason: 'FieldValueNotSupported' });
  }
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) errs.push({ field: path, message: `Invalid value: "${value}": ${path} in body should match '${schema.pattern}'` });
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errs.push({ field: path, message: `Too long: may not be more than ${schema.maxLength} bytes`, reason: 'FieldValueTooLong' });
    if (schema.minLength !== undefined && value.length < schema.minLength) errs.push({ field: path, message: `Invalid value: "${value}": ${path} in body should be at least ${schema.minLength} chars long` });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errs.push({ field: path, message: `Invalid value: ${value}: ${path} in body should be greater than or equal to ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum) errs.push({ field: path, message: `Invalid value: ${value}: ${path} in body should be less than or equal to ${schema.maximum}` });
  }
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errs.push({ field: path, message: `Too many: ${value.length}: must have at most ${schema.maxItems} items`, reason: 'FieldValueTooMany' });
    if (schema.minItems !== undefined && value.length < schema.minItems) errs.push({ field: path, message: `Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items` });
    value.forEach((item, i) => errs.push(...validateSchema(item, schema.items, `${path}[${i}]`)));
  }
  if (isObj(value)) {
    for (const r of schema.required ?? []) if (value[r] === undefined) errs.push({ field: join(path, r), message: 'Required value', reason: 'FieldValueRequired' });
    // oneOf (go-openapi validate, as the apiextensions validator runs it): exactly one branch must
    // hold; with none, the first branch's errors come too.
    if (Array.isArray(schema.oneOf)) {
      const valid = schema.oneOf.filter((b: Schema) => validateSchema(value, b, path).length === 0).length;
      if (valid !== 1) {
        errs.push({ field: path, message: `Invalid value: "object": ${path} in body must validate one and only one schema (oneOf). ${valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`}` });
        if (valid === 0) errs.push(...validateSchema(value, schema.oneOf[0], path));
      }
    }
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties?.[k] ?? (isObj(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (path === '' && k === 'metadata') continue;
      errs.push(...validateSchema(v, sub, join(path, k)));
    }
  }
  return errs;
}
