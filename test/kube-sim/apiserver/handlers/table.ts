/**
 * Server-side printing: `Accept: application/json;as=Table;g=meta.k8s.io;v=v1` answers a
 * meta.k8s.io/v1 Table (what `kubectl get` asks for), with the columns of pkg/printers/internalversion
 * for pods (Name, Ready, Status, Restarts, Age + wide IP, Node) and statefulsets (Name, Ready, Age +
 * wide Containers, Images), and the default Name/Age for every other kind (as a CRD without printer
 * columns). Rows carry the object's metadata (includeObject=Metadata, the default).
 */
import type { KubeObject } from '../../machinery/types';
import type { ResourceDef } from '../../registry/types';
import type { RequestContext } from '../scope';

interface Column { name: string; type: string; format: string; description: string; priority: number }
const col = (name: string, type: string, description: string, priority = 0, format = ''): Column => ({ name, type, format, description, priority });

const NAME = col('Name', 'string', 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names', 0, 'name');
const AGE = col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

/** Whether the client asked for a Table (the first Accept entry kube-sim can serve wins). */
export function wantsTable(ctx: Pick<RequestContext, 'req'>): boolean {
  const accept = String(ctx.req.headers.accept ?? '');
  for (const part of accept.split(',')) {
    const p = part.replace(/\s+/g, '');
    if (p.includes('as=Table') && p.includes('g=meta.k8s.io') && (p.includes('v=v1;') || p.endsWith('v=v1'))) return true;
    if (p.startsWith('application/json') && !p.includes('as=')) return false;
  }
  return false;
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24)}d`;
  const y = Math.floor(h / 24 / 365);
  if (y < 8) return `${y}y${Math.floor(h / 24) % 365}d`;
  return `${y}y`;
}

const age = (o: KubeObject) => (o.metadata.creationTimestamp ? humanDuration(Date.now() - Date.parse(o.metadata.creationTimestamp)) : '<unknown>');

function podRow(p: any): unknown[] {
  const statuses: any[] = p.status?.containerStatuses ?? [];
  const total = p.spec?.containers?.length ?? 0;
  const ready = statuses.filter((c) => c.ready).length;
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  // printPod: the pod's reason, else a waiting/terminated container's reason, else the phase; Terminating when deleted.
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Unknown';
  for (const c of statuses) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  if (p.metadata?.deletionTimestamp) reason = 'Terminating';
  return [p.metadata.name, `${ready}/${total}`, reason, restarts, age(p), p.status?.podIP ?? '<none>', p.spec?.nodeName ?? '<none>', '<none>', '<none>'];
}

function columnsAndCells(r: ResourceDef): { columns: Column[]; cells: (o: any) => unknown[] } {
  if (r.kind === 'Pod' && r.group === '') {
    return {
      columns: [NAME, col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
        col('Status', 'string', 'The aggregate status of the containers in this pod.'),
        col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
        AGE, col('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
        col('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node.', 1),
        col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
        col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1)],
      cells: podRow,
    };
  }
  if (r.kind === 'StatefulSet' && r.group === 'apps') {
    return {
      columns: [NAME, col('Ready', 'string', 'Number of the pod with ready state'), AGE,
        col('Containers', 'string', 'Names of each container in the template.', 1), col('Images', 'string', 'Images referenced by each container in the template.', 1)],
      cells: (s) => {
        const cs: any[] = s.spec?.template?.spec?.containers ?? [];
        return [s.metadata.name, `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`, age(s), cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
      },
    };
  }
  if (r.kind === 'Event' && r.group === '') {
    // printEvent (pkg/printers/internalversion/printers.go): last seen from lastTimestamp, else series or eventTime; object as kind/name.
    const since = (t: string | undefined) => (t ? humanDuration(Date.now() - Date.parse(t)) : '<unknown>');
    return {
      columns: [col('Last Seen', 'string', ''), col('Type', 'string', ''), col('Reason', 'string', ''), col('Object', 'string', ''),
        col('Subobject', 'string', '', 1), col('Source', 'string', '', 1), col('Message', 'string', ''), col('First Seen', 'string', '', 1),
        col('Count', 'string', '', 1), col('Name', 'string', '', 1)],
      cells: (e) => {
        const last = e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime;
        const src = e.source?.component ?? e.reportingComponent ?? '';
        return [since(last), e.type ?? '', e.reason ?? '', `${String(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`,
          e.involvedObject?.fieldPath ?? '', src, e.message ?? '', since(e.firstTimestamp ?? e.eventTime), e.series?.count ?? e.count ?? 1, e.metadata.name];
      },
    };
  }
  if (r.kind === 'Lease' && r.group === 'coordination.k8s.io') {
    return { columns: [NAME, col('Holder', 'string', ''), AGE], cells: (l) => [l.metadata.name, l.spec?.holderIdentity ?? '', age(l)] };
  }
  if (r.printerColumns?.length) {
    // A CRD's additionalPrinterColumns (simple .a.b.c paths); a date column shows as an age, as the server's Table does.
    const at = (o: any, path: string) => path.split('.').filter(Boolean).reduce((v, k) => (v == null ? undefined : v[k]), o);
    return {
      columns: [NAME, ...r.printerColumns.map((c) => col(c.name, c.type === 'date' ? 'date' : c.type, c.description ?? '', c.priority ?? 0))],
      cells: (o) => [o.metadata.name, ...r.printerColumns!.map((c) => {
        const v = at(o, c.jsonPath);
        if (v === undefined || v === null) return null;
        return c.type === 'date' ? humanDuration(Date.now() - Date.parse(String(v))) : v;
      })],
    };
  }
  return { columns: [NAME, AGE], cells: (o) => [o.metadata.name, age(o)] };
}

export function toTable(r: ResourceDef, items: KubeObject[], listMeta: Record<string, unknown> = {}): object {
  const { columns, cells } = columnsAndCells(r);
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions: columns,
    rows: items.map((o) => ({ cells: cells(o), object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata } })),
  };
}
