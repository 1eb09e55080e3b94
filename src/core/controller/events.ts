/**
 * Audit as Kubernetes Events (core/v1) on the sandbox's pod, so `kubectl get events` and
 * `kubectl describe pod` show who got access when. Fields as client-go's event recorder fills
 * them for core/v1 (series-less, count 1), plus the events.k8s.io fields (eventTime,
 * reportingComponent, reportingInstance, action), which the API server requires together.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster } from '../kube/cluster';
import { CONTROLLER_NAME } from './access';
import { OPS, pathOf } from '../kube/ops';
import { microTime, sendJson } from './http';

/** The API server's limit on an Event's message (NoteLengthLimit). */
const MAX_MESSAGE = 1024;

export interface EventInput {
  pod: { name: string; uid?: string };
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  /** What was done, e.g. "Grant" (events.k8s.io `action`). */
  action?: string;
}

export function renderEvent(namespace: string, instance: string, e: EventInput, now: Date) {
  const t = microTime(now);
  const message = e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE - 1)}…` : e.message;
  return {
    apiVersion: 'v1', kind: 'Event',
    // client-go names events <object>.<hex nanoseconds>; random hex keeps two in one ms apart.
    metadata: { name: `${e.pod.name}.${randomBytes(8).toString('hex')}`, namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name: e.pod.name, ...(e.pod.uid ? { uid: e.pod.uid } : {}) },
    reason: e.reason, message, type: e.type ?? 'Normal',
    source: { component: CONTROLLER_NAME },
    firstTimestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), lastTimestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), count: 1,
    eventTime: t, action: e.action ?? e.reason, reportingComponent: CONTROLLER_NAME, reportingInstance: instance.slice(0, 128),
  };
}

export async function recordEvent(cluster: Cluster, instance: string, e: EventInput, now: Date, signal?: AbortSignal): Promise<void> {
  const ns = cluster.namespace;
  await sendJson(cluster, OPS.createEvent, {}, 'POST', pathOf(OPS.createEvent, ns), renderEvent(ns, instance, e, now), signal);
}
