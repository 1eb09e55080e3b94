/** core/v1 Events as kube-sim's controllers and kubelet record them. */
import { nowRfc3339, type KubeObject } from '../machinery/types';
import { events } from '../registry';
import type { Store } from '../storage/store';
import type { EventType } from './context';

export function recordEvent(store: Store, ns: string, involved: KubeObject, type: EventType, reason: string, message: string): void {
  const name = `${involved.metadata.name}.${Date.now().toString(16)}${Math.random().toString(16).slice(2, 6)}`;
  try {
    store.create(events, {
      apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: ns },
      involvedObject: { kind: involved.kind, name: involved.metadata.name, namespace: ns, uid: involved.metadata.uid, apiVersion: involved.apiVersion },
      reason, message, type, count: 1, firstTimestamp: nowRfc3339(), lastTimestamp: nowRfc3339(), source: { component: 'kube-sim' },
    });
  } catch {}
}
