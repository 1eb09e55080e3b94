/**
 * The CSI snapshot CRDs (snapshot.storage.k8s.io/v1; kubernetes-csi/external-snapshotter
 * client/config/crd/snapshot.storage.k8s.io_{volumesnapshots,volumesnapshotclasses,
 * volumesnapshotcontents}.yaml): names, scope, status subresource, printer columns and the
 * structural schemas (field types, required fields, the deletionPolicy enum, the restoreSize
 * quantity pattern, oneOf on the sources). Not followed: the CEL rules (x-kubernetes-validations:
 * immutable sources, a non-empty class name) newer CRD releases add. A cluster serves them only when
 * started with startKubeSim({ volumeSnapshots }) (the group is disabled otherwise).
 */
import type { CustomResourceDefinition } from '../../registry/crd';

export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const QUANTITY = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
const error = { type: 'object', properties: { message: str, time } };
const meta = { apiVersion: str, kind: str, metadata: { type: 'object' } };
const col = (name: string, jsonPath: string, type = 'string') => ({ name, jsonPath, type });

function crd(plural: string, kind: string, scope: 'Namespaced' | 'Cluster', shortNames: string[], schema: object, status: boolean, columns: { name: string; jsonPath: string; type: string }[]): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.${SNAPSHOT_GROUP}` },
    spec: {
      group: SNAPSHOT_GROUP, scope, names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List`, shortNames },
      versions: [{ name: 'v1', served: true, storage: true, ...(status ? { subresources: { status: {} } } : {}), schema: { openAPIV3Schema: schema },
        additionalPrinterColumns: [...columns, col('Age', '.metadata.creationTimestamp', 'date')] }],
    },
  };
}

export const volumeSnapshotsCrd = crd('volumesnapshots', 'VolumeSnapshot', 'Namespaced', ['vs'], {
  type: 'object', required: ['spec'],
  properties: {
    ...meta,
    spec: { type: 'object', required: ['source'], properties: {
      source: { type: 'object', properties: { persistentVolumeClaimName: str, volumeSnapshotContentName: str },
        oneOf: [{ required: ['persistentVolumeClaimName'] }, { required: ['volumeSnapshotContentName'] }] },
      volumeSnapshotClassName: str,
    } },
    status: { type: 'object', properties: {
      boundVolumeSnapshotContentName: str, creationTime: time, error, readyToUse: { type: 'boolean' },
      restoreSize: { type: 'string', pattern: QUANTITY, 'x-kubernetes-int-or-string': true }, volumeGroupSnapshotName: str,
    } },
  },
}, true, [col('ReadyToUse', '.status.readyToUse', 'boolean'), col('SourcePVC', '.spec.source.persistentVolumeClaimName'),
  col('SourceSnapshotContent', '.spec.source.volumeSnapshotContentName'), col('RestoreSize', '.status.restoreSize'),
  col('SnapshotClass', '.spec.volumeSnapshotClassName'), col('SnapshotContent', '.status.boundVolumeSnapshotContentName'),
  col('CreationTime', '.status.creationTime', 'date')]);

export const volumeSnapshotClassesCrd = crd('volumesnapshotclasses', 'VolumeSnapshotClass', 'Cluster', ['vsclass', 'vsclasses'], {
  type: 'object', required: ['deletionPolicy', 'driver'],
  properties: { ...meta, driver: str, deletionPolicy: { type: 'string', enum: ['Delete', 'Retain'] }, parameters: { type: 'object', additionalProperties: str } },
}, false, [col('Driver', '.driver'), col('DeletionPolicy', '.deletionPolicy')]);

export const volumeSnapshotContentsCrd = crd('volumesnapshotcontents', 'VolumeSnapshotContent', 'Cluster', ['vsc', 'vscs'], {
  type: 'object', required: ['spec'],
  properties: {
    ...meta,
    spec: { type: 'object', required: ['deletionPolicy', 'driver', 'source', 'volumeSnapshotRef'], properties: {
      deletionPolicy: { type: 'string', enum: ['Delete', 'Retain'] }, driver: str,
      source: { type: 'object', properties: { snapshotHandle: str, volumeHandle: str }, oneOf: [{ required: ['snapshotHandle'] }, { required: ['volumeHandle'] }] },
      sourceVolumeMode: str, volumeSnapshotClassName: str,
      volumeSnapshotRef: { type: 'object', 'x-kubernetes-map-type': 'atomic', properties: {
        apiVersion: str, fieldPath: str, kind: str, name: str, namespace: str, resourceVersion: str, uid: str } },
    } },
    status: { type: 'object', properties: {
      creationTime: { type: 'integer', format: 'int64' }, error, readyToUse: { type: 'boolean' },
      restoreSize: { type: 'integer', format: 'int64', minimum: 0 }, snapshotHandle: str, volumeGroupSnapshotHandle: str,
    } },
  },
}, true, [col('ReadyToUse', '.status.readyToUse', 'boolean'), col('RestoreSize', '.status.restoreSize', 'integer'),
  col('DeletionPolicy', '.spec.deletionPolicy'), col('Driver', '.spec.driver'), col('VolumeSnapshotClass', '.spec.volumeSnapshotClassName'),
  col('VolumeSnapshot', '.spec.volumeSnapshotRef.name'), col('VolumeSnapshotNamespace', '.spec.volumeSnapshotRef.namespace')]);

export const SNAPSHOT_CRDS = [volumeSnapshotsCrd, volumeSnapshotClassesCrd, volumeSnapshotContentsCrd];
