/**
 * coordination.k8s.io/v1 Lease and events.k8s.io/v1 Event, and the core/v1 Event's validation.
 *
 * Lease (pkg/apis/coordination/validation ValidateLeaseSpec): leaseDurationSeconds > 0,
 * leaseTransitions >= 0, preferredHolder only with a strategy. acquireTime/renewTime are MicroTime:
 * the server keeps microseconds and answers them as `2006-01-02T15:04:05.000000Z07:00` (metav1.MicroTime),
 * so a client's milliseconds come back as six digits. Optimistic concurrency is the generic one
 * (a PUT with a stale resourceVersion is 409), which leader election relies on.
 *
 * Events (pkg/apis/core/validation/events.go): every Event passes the legacy validation (an
 * involvedObject namespace must match the Event's; an Event with eventTime needs reportingComponent
 * (a qualified name), reportingInstance, action and reason). events.k8s.io/v1 creates are strict
 * (eventTime required, type Normal|Warning, no deprecated* fields), in its own field names
 * (regarding, note, reportingController). A real server stores both versions as one resource; kube-sim
 * stores them apart and mirrors events.k8s.io/v1 Events into core/v1 (controllers/eventsMirror.ts),
 * so `kubectl get events` (core/v1) lists both; core/v1 Events are not visible under events.k8s.io.
 */
import { badRequest, invalid, type FieldError } from '../machinery/errors';
import type { ObjectInput } from '../machinery/types';
import { events as coreEvents } from './core';
import { defineKind } from './types';

const MICRO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** A MicroTime as the server writes it (UTC, six fractional digits); 400 for what it cannot parse. */
export function microTime(kind: string, v: unknown): string {
  const m = MICRO.exec(String(v));
  if (!m) throw badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: parsing time "${String(v)}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${String(v)}" as "2006"`);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  if (m[3] === 'Z') return `${m[1]}.${frac}Z`;
  const utc = new Date(`${m[1]}${m[3]}`).toISOString().slice(0, 19);
  return `${utc}.${frac}Z`;
}

const isQualifiedName = (s: string) => {
  const [prefix, name] = s.includes('/') ? s.split('/', 2) as [string, string] : [undefined, s];
  return /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name) && name.length <= 63
    && (prefix === undefined || /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix));
};

export const leases = defineKind({
  group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true,
  strategy: {
    defaults(obj) {
      for (const f of ['acquireTime', 'renewTime']) if (obj.spec?.[f] != null) obj.spec[f] = microTime('Lease', obj.spec[f]);
    },
    validate(obj) {
      const s = obj.spec ?? {};
      const errs: FieldError[] = [];
      if (s.leaseDurationSeconds != null && s.leaseDurationSeconds <= 0) errs.push({ field: 'spec.leaseDurationSeconds', message: `Invalid value: ${s.leaseDurationSeconds}: must be greater than 0` });
      if (s.leaseTransitions != null && s.leaseTransitions < 0) errs.push({ field: 'spec.leaseTransitions', message: `Invalid value: ${s.leaseTransitions}: must be greater than or equal to 0` });
      if (s.preferredHolder && !s.strategy) errs.push({ field: 'spec.preferredHolder', message: 'Forbidden: may only be specified if `strategy` is defined', reason: 'FieldValueForbidden' });
      if (errs.length) throw invalid('Lease', 'coordination.k8s.io', obj.metadata?.name ?? '', errs);
    },
  },
});

/** legacyValidateEvent, over core/v1 field names. */
function legacyEventErrors(e: any): FieldError[] {
  const errs: FieldError[] = [];
  const ns = e.metadata?.namespace ?? '';
  const invNs = e.involvedObject?.namespace ?? '';
  const mismatch = { field: 'involvedObject.namespace', message: `Invalid value: "${invNs}": does not match event.namespace` };
  if (!e.eventTime) {
    if (invNs ? ns !== invNs : ns !== '' && ns !== 'default') errs.push(mismatch);
  } else {
    if (!invNs && ns !== 'default' && ns !== 'kube-system') errs.push(mismatch);
    const rc: string = e.reportingComponent ?? '';
    if (!rc) errs.push({ field: 'reportingController', message: 'Required value', reason: 'FieldValueRequired' });
    else if (!isQualifiedName(rc)) errs.push({ field: 'reportingController', message: `Invalid value: "${rc}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')` });
    if (!e.reportingInstance) errs.push({ field: 'reportingInstance', message: 'Required value', reason: 'FieldValueRequired' });
    else if (e.reportingInstance.length > 128) errs.push({ field: 'reportingInstance', message: 'Invalid value: "": can have at most 128 characters' });
    if (!e.action) errs.push({ field: 'action', message: 'Required value', reason: 'FieldValueRequired' });
    else if (e.action.length > 128) errs.push({ field: 'action', message: 'Invalid value: "": can have at most 128 characters' });
    if (!e.reason) errs.push({ field: 'reason', message: 'Required value', reason: 'FieldValueRequired' });
    else if (e.reason.length > 128) errs.push({ field: 'reason', message: 'Invalid value: "": can have at most 128 characters' });
    if ((e.message ?? '').length > 1024) errs.push({ field: 'message', message: 'Invalid value: "": can have at most 1024 characters' });
  }
  return errs;
}

coreEvents.strategy ??= {
  defaults(obj) { if (obj.eventTime) obj.eventTime = microTime('Event', obj.eventTime); },
  validate(obj) {
    const errs = legacyEventErrors(obj);
    if (errs.length) throw invalid('Event', '', obj.metadata?.name ?? '', errs);
  },
};

/** events.k8s.io/v1 field names to core/v1's (pkg/apis/events/v1 conversion). */
export function eventsV1ToCore(e: any): ObjectInput {
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { ...e.metadata },
    involvedObject: e.regarding ?? {}, ...(e.related ? { related: e.related } : {}),
    reason: e.reason, message: e.note, type: e.type, eventTime: e.eventTime, action: e.action,
    reportingComponent: e.reportingController, reportingInstance: e.reportingInstance,
    ...(e.series ? { series: { count: e.series.count, lastObservedTime: e.series.lastObservedTime } } : {}),
    ...(e.deprecatedSource ? { source: e.deprecatedSource } : {}),
    ...(e.deprecatedFirstTimestamp ? { firstTimestamp: e.deprecatedFirstTimestamp } : {}),
    ...(e.deprecatedLastTimestamp ? { lastTimestamp: e.deprecatedLastTimestamp } : {}),
    ...(e.deprecatedCount ? { count: e.deprecatedCount } : {}),
  };
}

export const eventsV1 = defineKind({
  group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, shortNames: ['ev'],
  strategy: {
    defaults(obj) {
      if (obj.eventTime) obj.eventTime = microTime('Event', obj.eventTime);
      if (obj.series?.lastObservedTime) obj.series.lastObservedTime = microTime('Event', obj.series.lastObservedTime);
    },
    validate(obj, old) {
      const core = eventsV1ToCore(obj) as any;
      const errs = legacyEventErrors(core);
      const name = obj.metadata?.name ?? '';
      if (old) {
        for (const f of ['regarding', 'reason', 'note', 'type', 'eventTime', 'action', 'related', 'reportingController', 'reportingInstance']) {
          if (JSON.stringify(obj[f]) !== JSON.stringify(old[f])) errs.push({ field: f, message: 'Invalid value: "": field is immutable' });
        }
      } else {
        if (obj.series && !(obj.series.count >= 2)) errs.push({ field: 'series.count', message: 'Invalid value: "": should be at least 2' });
        if (obj.series && !obj.series.lastObservedTime) errs.push({ field: 'series.lastObservedTime', message: 'Required value', reason: 'FieldValueRequired' });
        if (!obj.eventTime) errs.unshift({ field: 'eventTime', message: 'Required value', reason: 'FieldValueRequired' });
        if (obj.type !== 'Normal' && obj.type !== 'Warning') errs.push({ field: 'type', message: `Invalid value: "": has invalid value: ${obj.type ?? ''}` });
        for (const [f, path] of [['deprecatedFirstTimestamp', 'firstTimestamp'], ['deprecatedLastTimestamp', 'lastTimestamp'], ['deprecatedCount', 'count'], ['deprecatedSource', 'source']] as const) {
          if (obj[f] && (f !== 'deprecatedSource' || obj[f].component || obj[f].host)) errs.push({ field: path, message: 'Invalid value: "": needs to be unset' });
        }
      }
      if (errs.length) throw invalid('Event', 'events.k8s.io', name, errs);
    },
  },
});

export const COORDINATION_KINDS = [leases, eventsV1];
