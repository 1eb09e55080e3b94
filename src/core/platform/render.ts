/**
 * The objects `terrarium platform install` applies, in apply order. Pure: the same options give the
 * same objects, which `-o yaml` prints for GitOps users and install applies by server-side apply.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import { TerrariumError } from '../kube/errors';
import { hasControlChars } from '../text/controlChars';
import { findManifestsDir, loadManifest, substitute } from '../devenv/manifests';
import { renderNamespace } from '../devenv/render';
import { validateNamespace } from '../devenv/validate';
import { LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY } from '../devenv/names';
import {
  ANNOTATION_ADMINS_GROUP, ANNOTATION_USERS_GROUP, CLAIM_POLICY, DEFAULT_ADMINS_GROUP,
  DEFAULT_NETWORK_POLICY, DEFAULT_USERS_GROUP, LABEL_PLATFORM, PLATFORM_CONFIGMAP, controllerImageOf,
} from './names';
import { renderRoles } from './roles';
import { renderControllerDeployment, renderControllerServiceAccount } from '../controller/manifests';
import { renderQuota, renderVsoObjects, type QuotaOptions, type VsoOptions } from './extras';

export type Obj = KubernetesObject & Record<string, any>;

export interface PlatformOptions {
  namespace: string;
  usersGroup?: string;
  adminsGroup?: string;
  controllerImage?: string;
  /** The Terrarium version installing (the ConfigMap records it; the default image is of it). */
  version: string;
  /** Overrides where manifests/ is found (tests). */
  manifestsDir?: string;
  /** A ResourceQuota with these limits; none when no limit is given (no default: it depends on the cluster). */
  quota?: QuotaOptions;
  /** A VaultConnection and a VaultAuth (Kubernetes auth) for the Vault Secrets Operator. */
  vso?: VsoOptions;
}

export const platformLabels = (component: string): Record<string, string> =>
  ({ [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_NAME]: 'terrarium', 'app.kubernetes.io/component': component });

/** manifests/claim-policy.yaml: the ValidatingAdmissionPolicy and its binding. */
export function claimPolicyObjects(manifestsDir?: string): Obj[] {
  const path = join(manifestsDir ?? findManifestsDir(), 'claim-policy.yaml');
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new TerrariumError('NotFound', `The claim policy manifest is missing (${path}).`, 'The installation is incomplete: reinstall the extension or the CLI.', { cause: e });
  }
  const docs = (loadAll(text) as Obj[]).filter((d) => d && typeof d === 'object');
  if (docs.length !== 2 || docs.some((d) => d.metadata?.name !== CLAIM_POLICY)) throw new Error(`${path}: expected the policy and binding named ${CLAIM_POLICY}.`);
  return docs;
}

function validateGroup(flag: string, g: string): void {
  if (!g || g.length > 253 || /\s/.test(g) || hasControlChars(g)) throw new TerrariumError('InvalidInput', `${flag} ${JSON.stringify(g)} is not a group name.`, `Give the group as the API server names it, e.g. ${flag} terrarium-users.`);
}

/** Every object of the platform in one namespace, in apply order (cluster-scoped policy last). */
export function renderPlatform(opts: PlatformOptions): Obj[] {
  const ns = opts.namespace;
  validateNamespace(ns);
  const usersGroup = opts.usersGroup ?? DEFAULT_USERS_GROUP;
  const adminsGroup = opts.adminsGroup ?? DEFAULT_ADMINS_GROUP;
  validateGroup('--users-group', usersGroup);
  validateGroup('--admins-group', adminsGroup);
  const image = opts.controllerImage ?? controllerImageOf(opts.version);
  if (!image.trim() || /\s/.test(image)) throw new TerrariumError('InvalidInput', `--controller-image ${JSON.stringify(image)} is not an image reference.`, 'Give an image such as --controller-image registry.example/terrarium-controller:0.1.0.');

  const namespace = renderNamespace(ns, opts.manifestsDir) as Obj;
  namespace.metadata!.labels = { ...namespace.metadata!.labels, [LABEL_PLATFORM]: 'true' };
  namespace.metadata!.annotations = { [ANNOTATION_USERS_GROUP]: usersGroup, [ANNOTATION_ADMINS_GROUP]: adminsGroup };

  const [limits] = loadManifest('limitrange', opts.manifestsDir);
  const limitRange = substitute(limits!, { namespace: ns }) as Obj;
  const netpol: Obj = {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: { name: DEFAULT_NETWORK_POLICY, namespace: ns, labels: platformLabels('network') },
    // No ingress to any pod of the namespace unless another policy allows it: port-forward and exec
    // reach pods through the kubelet, not the pod network; the controller needs no ingress.
    spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [] },
  };
  const objects: Obj[] = [
    namespace,
    limitRange,
    netpol,
    ...(renderRoles({ namespace: ns, usersGroup, adminsGroup }) as Obj[]),
    renderControllerServiceAccount(ns) as Obj,
    renderControllerDeployment({ namespace: ns, image }) as Obj,
    ...(opts.quota ? [renderQuota(ns, opts.quota)].filter((q): q is Obj => !!q) : []),
    ...(opts.vso ? renderVsoObjects(ns, opts.vso) : []),
    ...claimPolicyObjects(opts.manifestsDir),
  ];
  const components = objects.map((o) => `${o.kind}/${o.metadata!.name}`);
  objects.push({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: PLATFORM_CONFIGMAP, namespace: ns, labels: platformLabels('platform') },
    data: {
      version: opts.version,
      usersGroup, adminsGroup, controllerImage: image,
      claimPolicy: CLAIM_POLICY,
      components: components.join('\n'),
    },
  });
  return objects;
}
