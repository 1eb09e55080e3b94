/**
 * A tiny stand-in for the CSI snapshot controller + kube-sim's hostpath driver (docs "Volume
 * Snapshots"; external-snapshotter's common controller): a VolumeSnapshot of a bound PVC, with a
 * class (named, or the one annotated snapshot.storage.kubernetes.io/is-default-class) gets a
 * VolumeSnapshotContent `snapcontent-<uid>` and status boundVolumeSnapshotContentName, creationTime,
 * readyToUse true and restoreSize (the claim's capacity). Without a class or PVC the status carries
 * an error and readyToUse false. No data is copied (restoring from a snapshot is not emulated).
 */
import type { KubeObject } from '../../machinery/types';
import { persistentvolumeclaims as pvcs, registry } from '../../registry';
import type { ResourceDef } from '../../registry/types';
import type { Store } from '../../storage/store';
import { SNAPSHOT_GROUP } from './crds';

export const DEFAULT_SNAPSHOT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
export const SIM_SNAPSHOT_DRIVER = 'kube-sim.io/hostpath';

const def = (plural: string) => registry.find(SNAPSHOT_GROUP, 'v1', plural)!;

export class SnapshotStandIn {
  private readonly snapshots = def('volumesnapshots');
  private readonly classes = def('volumesnapshotclasses');
  private readonly contents = def('volumesnapshotcontents');
  private stopped = false;

  constructor(private readonly store: Store) {
    store.subscribe((e) => {
      if (this.stopped || e.res !== this.snapshots || e.type === 'DELETED') return;
      const o = e.object;
      setImmediate(() => { if (!this.stopped) this.sync(o.metadata.namespace!, o.metadata.name); });
    });
  }

  stop(): void { this.stopped = true; }

  /** The class kube-sim installs with startKubeSim({ volumeSnapshots: true }). */
  createDefaultClass(name = 'csi-hostpath-snapclass'): void {
    if (this.store.find(this.classes, undefined, name)) return;
    this.store.create(this.classes, { apiVersion: `${SNAPSHOT_GROUP}/v1`, kind: 'VolumeSnapshotClass',
      metadata: { name, annotations: { [DEFAULT_SNAPSHOT_CLASS_ANNOTATION]: 'true' } }, driver: SIM_SNAPSHOT_DRIVER, deletionPolicy: 'Delete' });
  }

  private sync(ns: string, name: string): void {
    const vs = this.store.find(this.snapshots, ns, name);
    if (!vs || vs.metadata.deletionTimestamp || vs.status?.readyToUse) return;
    const claimName: string | undefined = vs.spec?.source?.persistentVolumeClaimName;
    if (!claimName) return; // pre-provisioned contents are not bound by the stand-in
    const classes = this.store.list(this.classes);
    const wanted: string | undefined = vs.spec?.volumeSnapshotClassName;
    const cls = wanted ? classes.find((c) => c.metadata.name === wanted) : classes.find((c) => c.metadata.annotations?.[DEFAULT_SNAPSHOT_CLASS_ANNOTATION] === 'true');
    const claim = this.store.find(pvcs, ns, claimName);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const fail = (message: string) => this.setStatus(vs, { readyToUse: false, error: { message, time: now } });
    if (!cls) return fail(wanted ? `Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io "${wanted}" not found` : 'Failed to set default snapshot class with error cannot find default snapshot class');
    if (!claim || claim.status?.phase !== 'Bound') return fail(`Failed to create snapshot: error getting handle for DataSource Type VolumeSnapshot by Name ${name}: the PVC ${claimName} is not yet bound to a PV, will not attempt to take a snapshot`);
    const contentName = `snapcontent-${vs.metadata.uid}`;
    const size = String(claim.status?.capacity?.storage ?? claim.spec?.resources?.requests?.storage ?? '0');
    if (!this.store.find(this.contents, undefined, contentName)) {
      this.store.create(this.contents, {
        apiVersion: `${SNAPSHOT_GROUP}/v1`, kind: 'VolumeSnapshotContent', metadata: { name: contentName },
        spec: { deletionPolicy: cls.deletionPolicy, driver: cls.driver, source: { volumeHandle: claim.spec?.volumeName ?? `pvc-${claim.metadata.uid}` },
          volumeSnapshotClassName: cls.metadata.name,
          volumeSnapshotRef: { apiVersion: `${SNAPSHOT_GROUP}/v1`, kind: 'VolumeSnapshot', name, namespace: ns, uid: vs.metadata.uid, resourceVersion: vs.metadata.resourceVersion } },
        status: { readyToUse: true, creationTime: Date.now() * 1e6, restoreSize: bytes(size), snapshotHandle: `snapshot-${vs.metadata.uid}` },
      });
    }
    this.setStatus(vs, { boundVolumeSnapshotContentName: contentName, creationTime: now, readyToUse: true, restoreSize: size });
  }

  private setStatus(vs: KubeObject, status: object): void {
    const cur = this.store.find(this.snapshots, vs.metadata.namespace, vs.metadata.name);
    if (!cur || cur.metadata.uid !== vs.metadata.uid || JSON.stringify(cur.status) === JSON.stringify(status)) return;
    cur.status = status;
    this.store.update(this.snapshots as ResourceDef, cur, { statusOnly: true, checkVersion: false });
  }
}

/** A quantity in bytes (restoreSize of a content is int64 bytes). */
function bytes(q: string): number {
  const m = /^([0-9.]+)([KMGTPE]i?)?$/.exec(q);
  if (!m) return 0;
  const pow: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  return Math.round(Number(m[1]) * (m[2] ? pow[m[2]]! : 1));
}
