/**
 * /openapi/v3 (https://kubernetes.io/docs/concepts/overview/kubernetes-api/#openapi-v3): the index
 * of group-versions ({"paths": {"apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=…"}}})
 * and one OpenAPI 3.0 document per group-version, for the kinds the registry serves.
 *
 * Minimal on purpose: each kind's schema carries x-kubernetes-group-version-kind, apiVersion, kind,
 * a real ObjectMeta, and the spec fields Terrarium and kubectl users look at (StatefulSet in full
 * at the top level, with the upstream descriptions; ConfigMap/Secret data); everything else is an
 * object with x-kubernetes-preserve-unknown-fields. Every resource path lists its operations with
 * the query parameters, `fieldValidation` among them, so kubectl chooses server-side validation
 * (its QueryParamVerifierV3) instead of validating against these thin schemas. Enough for
 * `kubectl explain statefulset.spec.replicas`; not a replacement for the real schemas.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { noSuchResource } from '../../machinery/errors';
import { registry, type Registry } from '../../registry';
import type { ResourceDef } from '../../registry/types';
import { writeJson } from '../http';

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ allOf: [{ $ref: `#/components/schemas/${name}` }] });
const str = (description: string): Schema => ({ type: 'string', description });
const int = (description: string): Schema => ({ type: 'integer', format: 'int32', description });
const obj = (description: string, extra: Schema = {}): Schema => ({ type: 'object', description, 'x-kubernetes-preserve-unknown-fields': true, ...extra });
const stringMap = (description: string): Schema => ({ type: 'object', description, additionalProperties: { type: 'string', default: '' } });

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const OBJECT_META: Schema = {
  description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  type: 'object',
  properties: {
    name: str('Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.'),
    generateName: str('GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.'),
    namespace: str('Namespace defines the space within which each name must be unique.'),
    uid: str('UID is the unique in time and space value for this object.'),
    resourceVersion: str('An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed.'),
    generation: { type: 'integer', format: 'int64', description: 'A sequence number representing a specific generation of the desired state.' },
    creationTimestamp: { type: 'string', format: 'date-time', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' },
    deletionTimestamp: { type: 'string', format: 'date-time', description: 'DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.' },
    deletionGracePeriodSeconds: { type: 'integer', format: 'int64', description: 'Number of seconds allowed for this object to gracefully terminate before it will be removed from the system.' },
    labels: stringMap('Map of string keys and values that can be used to organize and categorize (scope and select) objects.'),
    annotations: stringMap('Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.'),
    finalizers: { type: 'array', items: { type: 'string', default: '' }, description: 'Must be empty before the object is deleted from the registry.', 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
    ownerReferences: { type: 'array', items: obj('OwnerReference contains enough information to let you identify an owning object.'), description: 'List of objects depended by this object.',
      'x-kubernetes-list-map-keys': ['uid'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'uid', 'x-kubernetes-patch-strategy': 'merge' },
    managedFields: { type: 'array', items: obj('ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.'),
      description: 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.', 'x-kubernetes-list-type': 'atomic' },
  },
};

/** apps/v1 StatefulSetSpec, top level, with the upstream field descriptions (k8s.io/api/apps/v1/types.go). */
const STATEFULSET_SPEC: Schema = {
  description: 'A StatefulSetSpec is the specification of a StatefulSet.',
  type: 'object',
  required: ['selector', 'template'],
  properties: {
    replicas: int('replicas is the desired number of replicas of the given Template. These are replicas in the sense that they are instantiations of the same Template, but individual replicas also have a consistent identity. If unspecified, defaults to 1.'),
    selector: obj('selector is a label query over pods that should match the replica count. It must match the pod template\'s labels.'),
    template: obj('template is the object that describes the pod that will be created if insufficient replicas are detected. Each pod stamped out by the StatefulSet will fulfill this Template, but have a unique identity from the rest of the StatefulSet.'),
    volumeClaimTemplates: { type: 'array', items: obj('PersistentVolumeClaim is a user\'s request for and claim to a persistent volume'), 'x-kubernetes-list-type': 'atomic',
      description: 'volumeClaimTemplates is a list of claims that pods are allowed to reference. The StatefulSet controller is responsible for mapping network identities to claims in a way that maintains the identity of a pod.' },
    serviceName: str('serviceName is the name of the service that governs this StatefulSet. This service must exist before the StatefulSet, and is responsible for the network identity of the set.'),
    podManagementPolicy: str('podManagementPolicy controls how pods are created during initial scale up, when replacing pods on nodes, or when scaling down. The default policy is `OrderedReady`.'),
    updateStrategy: obj('updateStrategy indicates the StatefulSetUpdateStrategy that will be employed to update Pods in the StatefulSet when a revision is made to Template.'),
    revisionHistoryLimit: int('revisionHistoryLimit is the maximum number of revisions that will be maintained in the StatefulSet\'s revision history. The default value is 10.'),
    minReadySeconds: int('Minimum number of seconds for which a newly created pod should be ready without any of its container crashing for it to be considered available. Defaults to 0.'),
    persistentVolumeClaimRetentionPolicy: obj('persistentVolumeClaimRetentionPolicy describes the lifecycle of persistent volume claims created from volumeClaimTemplates. By default, all persistent volume claims are created as needed and retained until manually deleted.'),
    ordinals: obj('ordinals controls the numbering of replica indices in a StatefulSet. The default ordinals behavior assigns a "0" index to the first replica and increments the index by one for each additional replica requested.'),
  },
};

const schemaName = (r: ResourceDef) => {
  if (!r.group) return `io.k8s.api.core.v1.${r.kind}`;
  if (!r.group.includes('.')) return `io.k8s.api.${r.group}.${r.version}.${r.kind}`;
  if (r.group.endsWith('.k8s.io')) return `io.k8s.api.${r.group.replace(/\.k8s\.io$/, '').replace(/\./g, '')}.${r.version}.${r.kind}`;
  return `${r.group.split('.').reverse().join('.')}.${r.version}.${r.kind}`;
};

function kindSchema(r: ResourceDef): Schema {
  const properties: Record<string, Schema> = {
    apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
    kind: str('Kind is a string value representing the REST resource this object represents.'),
    metadata: { ...ref(META), default: {}, description: 'Standard object\'s metadata.' },
  };
  if (r.kind === 'StatefulSet' && r.group === 'apps') {
    properties.spec = { ...ref(`${schemaName(r)}Spec`), default: {}, description: 'Spec defines the desired identities of pods in this set.' };
    properties.status = obj('Status is the current status of Pods in this StatefulSet. This data may be out of date by some window of time.');
  } else if (r.kind === 'ConfigMap' || r.kind === 'Secret') {
    properties.data = r.kind === 'Secret' ? { type: 'object', additionalProperties: { type: 'string', format: 'byte' }, description: 'Data contains the secret data.' }
      : stringMap('Data contains the configuration data.');
    properties.binaryData = { type: 'object', additionalProperties: { type: 'string', format: 'byte' }, description: 'BinaryData contains the binary data.' };
    properties.immutable = { type: 'boolean', description: 'Immutable, if set to true, ensures that data stored cannot be updated (only object metadata can be modified).' };
    if (r.kind === 'Secret') {
      properties.stringData = stringMap('stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience.');
      properties.type = str('Used to facilitate programmatic handling of secret data.');
    }
  } else {
    properties.spec = obj(`The desired state of the ${r.kind}.`);
    properties.status = obj(`The observed state of the ${r.kind}.`);
    for (const k of ['data', 'rules', 'subjects', 'roleRef', 'involvedObject', 'reason', 'message', 'type']) properties[k] = obj(`${k} of the ${r.kind}.`);
  }
  return {
    description: `${r.kind} (kube-sim's minimal schema).`, type: 'object', properties,
    'x-kubernetes-group-version-kind': [{ group: r.group, kind: r.kind, version: r.version }],
  };
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'];

function operation(r: ResourceDef, action: string, params: string[]): Schema {
  return {
    description: `${action} ${r.kind}`, operationId: `${action}${r.kind}`,
    parameters: params.map((name) => ({ name, in: 'query', description: name, schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } })),
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: ref(schemaName(r)) } } } },
    'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': { group: r.group, kind: r.kind, version: r.version },
  };
}

function document(group: string, version: string, reg: Registry): object {
  const kinds = reg.kinds.filter((k) => k.group === group && k.version === version);
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, Schema> = {};
  const schemas: Record<string, Schema> = { [META]: OBJECT_META };
  for (const r of kinds) {
    const base = `${prefix}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    paths[base] = { get: operation(r, 'list', ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'watch']), post: operation(r, 'post', ['dryRun', 'fieldManager', 'fieldValidation', 'pretty']) };
    paths[`${base}/{name}`] = { get: operation(r, 'get', ['pretty']), put: operation(r, 'put', ['dryRun', 'fieldManager', 'fieldValidation', 'pretty']), patch: operation(r, 'patch', QUERY_PARAMS), delete: operation(r, 'delete', ['dryRun', 'pretty']) };
    schemas[schemaName(r)] = kindSchema(r);
    if (r.kind === 'StatefulSet' && r.group === 'apps') schemas[`${schemaName(r)}Spec`] = STATEFULSET_SPEC;
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.31.0' }, paths, components: { schemas } };
}

const groupVersions = (reg: Registry, hidden: ReadonlySet<string>) =>
  [...new Set(reg.kinds.filter((r) => !hidden.has(r.group)).map((r) => (r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`)))];

/** Serves /openapi/v3 and /openapi/v3/{api/v1 | apis/group/version}; 404 for the rest. */
export function serveOpenApi(res: ServerResponse, path: string, hidden: ReadonlySet<string>, reg: Registry = registry): void {
  const gvs = groupVersions(reg, hidden);
  const docOf = (gv: string) => {
    const parts = gv.split('/');
    return parts[0] === 'api' ? document('', parts[1]!, reg) : document(parts[1]!, parts[2]!, reg);
  };
  if (path === '/openapi/v3') {
    const entries = gvs.map((gv) => {
      const hash = createHash('sha512').update(JSON.stringify(docOf(gv))).digest('hex').slice(0, 128).toUpperCase();
      return [gv, { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` }];
    });
    return writeJson(res, 200, { paths: Object.fromEntries(entries) });
  }
  const gv = path.replace(/^\/openapi\/v3\//, '');
  if (!gvs.includes(gv)) throw noSuchResource();
  writeJson(res, 200, docOf(gv));
}
