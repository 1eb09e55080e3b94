/**
 * Workspace snapshots through the CSI snapshot API (snapshot.storage.k8s.io/v1): a VolumeSnapshot
 * of the sandbox's workspace PVC, taken by the storage driver, for clusters whose driver supports
 * it. It needs a VolumeSnapshotClass; without one (or without the snapshot CRDs) this says so
 * rather than creating an object no controller will ever act on.
 * https://kubernetes.io/docs/concepts/storage/volume-snapshots/
 */
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { StorageV1Api } from '../kube/api';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError, TerrariumError } from '../kube/errors';
import { audited } from '../audit/auditor';
import { kubeOp, OPS } from '../kube/ops';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../devenv/names';
import { validateName, validateSandboxName } from '../devenv/validate';

export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const SNAPSHOT_VERSION = 'v1';
/** The annotation that marks the default class (external-snapshotter). */
export const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
export const LABEL_SANDBOX = 'terrarium.dev/sandbox';

interface SnapshotClass { metadata?: { name?: string; annotations?: Record<string, string> }; driver?: string }

export interface SnapshotOptions {
  /** The VolumeSnapshotClass; default: the one marked default, else the one for the workspace's driver, else the only one. */
  className?: string;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface SnapshotResult { name: string; className: string; pvc: string }

const NO_CLASS_HINT = 'Ask your cluster administrator for a CSI driver with snapshot support, or use a tar backup: terrarium workspace backup SANDBOX -o FILE.tar.gz';

/** The classes; undefined when the caller may not list them (a namespaced Role cannot grant that). */
async function listClasses(cluster: Cluster, signal?: AbortSignal): Promise<SnapshotClass[] | undefined> {
  try {
    const list = await kubeOp(cluster, OPS.listVolumeSnapshotClasses, {},
      (o) => cluster.custom.listClusterCustomObject({ group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, plural: 'volumesnapshotclasses' }, o), { signal });
    return ((list as { items?: SnapshotClass[] }).items ?? []);
  } catch (e) {
    // 404: the snapshot CRDs are not installed, so there can be no class.
    if (isTerrariumError(e, 'NotFound')) return [];
    if (isTerrariumError(e, 'Forbidden')) return undefined;
    throw e;
  }
}

async function storageClassDriver(cluster: Cluster, pvc: V1PersistentVolumeClaim, signal?: AbortSignal): Promise<string | undefined> {
  const name = pvc.spec?.storageClassName;
  if (!name) return undefined;
  try {
    const sc = await kubeOp(cluster, OPS.readStorageClass, { name },
      (o) => cluster.kc.makeApiClient(StorageV1Api).readStorageClass({ name }, o), { signal, retries: 1 });
    return sc.provisioner;
  } catch {
    return undefined; // a user may not read StorageClasses: pick by the other rules
  }
}

/** Picks the class: asked for by name, marked default, matching the workspace's driver, or the only one. */
export function chooseSnapshotClass(classes: SnapshotClass[], wanted: string | undefined, driver: string | undefined): SnapshotClass {
  if (!classes.length) {
    throw new TerrariumError('NotFound', 'This cluster has no VolumeSnapshotClass, so workspace snapshots are not available here.', NO_CLASS_HINT, { status: 404 });
  }
  const names = classes.map((c) => c.metadata?.name ?? '').filter(Boolean);
  if (wanted !== undefined) {
    const c = classes.find((x) => x.metadata?.name === wanted);
    if (!c) throw new TerrariumError('NotFound', `There is no VolumeSnapshotClass "${wanted}"; the cluster has: ${names.join(', ')}.`, 'Pass one of these with --snapshot-class.', { status: 404 });
    return c;
  }
  const defaults = classes.filter((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
  if (defaults.length === 1) return defaults[0]!;
  const forDriver = driver ? classes.filter((c) => c.driver === driver) : [];
  if (forDriver.length === 1) return forDriver[0]!;
  if (classes.length === 1) return classes[0]!;
  throw new TerrariumError('InvalidInput', `Several VolumeSnapshotClasses could take this snapshot (${names.join(', ')}) and none is marked default.`,
    'Choose one with --snapshot-class NAME.');
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase();
}

/** Creates a VolumeSnapshot of the sandbox's workspace PVC; the driver takes it asynchronously. */
export async function snapshotWorkspace(cluster: Cluster, sandbox: string, opts: SnapshotOptions = {}): Promise<SnapshotResult> {
  return audited(cluster, { action: 'create', target: sandbox, detail: { operation: 'workspace-snapshot', class: opts.className } },
    () => snapshotOp(cluster, sandbox, opts), (r) => ({ target: `volumesnapshot/${r.name}`, detail: { operation: 'workspace-snapshot', class: r.className, pvc: r.pvc } }));
}

async function snapshotOp(cluster: Cluster, sandbox: string, opts: SnapshotOptions): Promise<SnapshotResult> {
  validateSandboxName(sandbox);
  if (opts.className !== undefined) validateName(opts.className, 'VolumeSnapshotClass name');
  const pvcName = `workspace-${sandbox}`;
  const listed = await listClasses(cluster, opts.signal);
  if (!listed && opts.className === undefined) {
    throw new TerrariumError('Forbidden', 'You may not list the VolumeSnapshotClasses of this cluster, so Terrarium cannot pick one.',
      'Ask your administrator which class to use, then pass it with --snapshot-class NAME.', { status: 403 });
  }
  // Not allowed to list, but named: the API server checks the name when the driver takes the snapshot.
  const classes = listed ?? [{ metadata: { name: opts.className } }];
  if (!classes.length) chooseSnapshotClass(classes, opts.className, undefined);
  let pvc: V1PersistentVolumeClaim;
  try {
    pvc = await kubeOp(cluster, OPS.readPVC, { name: pvcName },
      (o) => cluster.core.readNamespacedPersistentVolumeClaim({ name: pvcName, namespace: cluster.namespace }, o), { signal: opts.signal });
  } catch (e) {
    if (!isTerrariumError(e, 'NotFound')) throw e;
    throw new TerrariumError('NotFound', `Sandbox ${sandbox} has no workspace (PVC ${pvcName}) in namespace ${cluster.namespace}.`,
      'List sandboxes with `terrarium sandbox list`.', { status: 404, cause: e });
  }
  const needDriver = opts.className === undefined && classes.length > 1;
  const cls = chooseSnapshotClass(classes, opts.className, needDriver ? await storageClassDriver(cluster, pvc, opts.signal) : undefined);
  const className = cls.metadata!.name!;
  const name = `${pvcName}-${stamp((opts.now ?? (() => new Date()))())}`.slice(0, 253);
  const body = {
    apiVersion: `${SNAPSHOT_GROUP}/${SNAPSHOT_VERSION}`, kind: 'VolumeSnapshot',
    metadata: { name, namespace: cluster.namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SANDBOX]: sandbox } },
    spec: { volumeSnapshotClassName: className, source: { persistentVolumeClaimName: pvcName } },
  };
  await kubeOp(cluster, OPS.createVolumeSnapshot, { name },
    (o) => cluster.custom.createNamespacedCustomObject({ group: SNAPSHOT_GROUP, version: SNAPSHOT_VERSION, namespace: cluster.namespace, plural: 'volumesnapshots', body }, o),
    { signal: opts.signal });
  return { name, className, pvc: pvcName };
}
