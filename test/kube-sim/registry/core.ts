/** The core (legacy, group "") kinds kube-sim serves at /api/v1, with their strategies. */
import { defineKind, type ResourceDef } from './types';
import { validatePod } from './validation';

const core = (plural: string, kind: string, extra: Partial<ResourceDef> = {}): ResourceDef =>
  defineKind({ group: '', version: 'v1', plural, kind, namespaced: true, ...extra });

export const namespaces = core('namespaces', 'Namespace', { namespaced: false, shortNames: ['ns'], subresources: ['status'], nameIsLabel: true });

// Pod names are DNS-1123 subdomains (ValidatePodName); containers need a name and an image (registry/validation.ts).
export const pods = core('pods', 'Pod', {
  shortNames: ['po'], subresources: ['status', 'log', 'exec', 'attach', 'portforward'],
  strategy: {
    // A new pod starts Pending (the scheduler and kubelet move it on); status is kept on updates.
    defaults(obj) { obj.status ??= { phase: 'Pending' }; },
    validate: validatePod,
  },
});

export const services = core('services', 'Service', { shortNames: ['svc'], nameIsLabel: true });

export const secrets = core('secrets', 'Secret', {
  strategy: {
    // stringData is write-only: merged into data (base64) and dropped, as the v1 conversion does.
    defaults(obj) {
      if (!obj.stringData) return;
      const encoded = Object.entries(obj.stringData as Record<string, string>).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')]);
      obj.data = { ...(obj.data ?? {}), ...Object.fromEntries(encoded) };
      delete obj.stringData;
    },
  },
});

export const configmaps = core('configmaps', 'ConfigMap', { shortNames: ['cm'] });
export const events = core('events', 'Event', { shortNames: ['ev'] });
export const persistentvolumeclaims = core('persistentvolumeclaims', 'PersistentVolumeClaim', { shortNames: ['pvc'], subresources: ['status'] });
export const serviceaccounts = core('serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] });
export const limitranges = core('limitranges', 'LimitRange', { shortNames: ['limits'] });
/** Stored and served (platform install's quota); kube-sim does not enforce it. */
export const resourcequotas = core('resourcequotas', 'ResourceQuota', { shortNames: ['quota'], subresources: ['status'] });

/** In discovery order. */
export const CORE_KINDS: ResourceDef[] = [namespaces, pods, services, secrets, configmaps, events, persistentvolumeclaims, serviceaccounts, limitranges, resourcequotas];

