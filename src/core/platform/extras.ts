/**
 * The optional parts of `terrarium platform install`: a ResourceQuota sized by flags, and the Vault
 * Secrets Operator (the Helm chart's command lines, a VaultConnection and a VaultAuth using Vault's
 * Kubernetes auth method). Pure: objects and argv arrays, so `-o yaml` prints them and tests check them.
 *
 * VSO objects follow the operator's v1.x CRDs (secrets.hashicorp.com/v1beta1):
 *   VaultConnection.spec: address, skipTLSVerify, (caCertSecretRef, tlsServerName, headers, timeout)
 *   VaultAuth.spec: vaultConnectionRef, method: kubernetes, mount, kubernetes: { role, serviceAccount,
 *   (audiences, tokenExpirationSeconds) }
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { TerrariumError } from '../kube/errors';
import { hasControlChars } from '../text/controlChars';
import { LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY } from '../devenv/names';
import type { Step } from '../image/engine';

type Obj = KubernetesObject & Record<string, any>;
const labels = (component: string): Record<string, string> =>
  ({ [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_NAME]: 'terrarium', 'app.kubernetes.io/component': component });

export const QUOTA_NAME = 'terrarium-quota';

export interface QuotaOptions {
  pods?: string;
  /** Total requested storage of the namespace's PVCs (workspaces), e.g. 500Gi. */
  storage?: string;
  /** Total CPU requests, e.g. 32. */
  cpu?: string;
  /** Total memory requests, e.g. 64Gi. */
  memory?: string;
}

// A Kubernetes quantity: a number with an optional binary/decimal suffix or exponent.
const QUANTITY = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

function quantity(flag: string, v: string, example: string): string {
  if (!QUANTITY.test(v)) throw new TerrariumError('InvalidInput', `${flag} ${JSON.stringify(v)} is not a Kubernetes quantity.`, `Give a quantity such as ${flag} ${example}.`);
  return v;
}

/** The namespace's ResourceQuota, or undefined when no limit was given. */
export function renderQuota(namespace: string, q: QuotaOptions): Obj | undefined {
  const hard: Record<string, string> = {};
  if (q.pods !== undefined) {
    if (!/^[0-9]+$/.test(q.pods)) throw new TerrariumError('InvalidInput', `--quota-pods ${JSON.stringify(q.pods)} is not a whole number.`, 'Give the most pods the namespace may run, e.g. --quota-pods 50.');
    hard.pods = q.pods;
  }
  if (q.storage !== undefined) hard['requests.storage'] = quantity('--quota-storage', q.storage, '500Gi');
  if (q.cpu !== undefined) hard['requests.cpu'] = quantity('--quota-cpu', q.cpu, '32');
  if (q.memory !== undefined) hard['requests.memory'] = quantity('--quota-memory', q.memory, '64Gi');
  if (!Object.keys(hard).length) return undefined;
  return { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: QUOTA_NAME, namespace, labels: labels('quota') }, spec: { hard } };
}

// ---- Vault Secrets Operator ----

export const VSO_GROUP = 'secrets.hashicorp.com';
export const VSO_API_VERSION = `${VSO_GROUP}/v1beta1`;
/** The chart version install pins (VSO 1.x); upgrade it here, never "latest". */
export const VSO_CHART_VERSION = '1.6.0';
export const VSO_NAMESPACE = 'vault-secrets-operator-system';
export const VSO_RELEASE = 'vault-secrets-operator';
export const HELM_REPO_URL = 'https://helm.releases.hashicorp.com';
/** The VaultConnection and VaultAuth install makes; VaultStaticSecrets name the auth with vaultAuthRef: terrarium. */
export const VSO_OBJECT_NAME = 'terrarium';
export const DEFAULT_VAULT_SERVICE_ACCOUNT = 'terrarium-vault';
export const DEFAULT_VAULT_AUTH_MOUNT = 'kubernetes';

export interface VsoOptions {
  /** Vault's address as the operator reaches it, e.g. https://vault.vault.svc:8200. */
  address: string;
  /** The Vault role of the Kubernetes auth method bound to the service account. */
  role: string;
  /** The auth method's mount path (default "kubernetes"). */
  authMount?: string;
  /** The ServiceAccount whose token logs in (install creates it; default terrarium-vault). */
  serviceAccount?: string;
  skipTLSVerify?: boolean;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
function plain(flag: string, v: string, example: string): string {
  if (!v || v.length > 253 || /\s/.test(v) || hasControlChars(v)) throw new TerrariumError('InvalidInput', `${flag} ${JSON.stringify(v)} is not valid.`, `Give e.g. ${flag} ${example}.`);
  return v;
}

/** The ServiceAccount, VaultConnection and VaultAuth of the namespace. */
export function renderVsoObjects(namespace: string, o: VsoOptions): Obj[] {
  let url: URL | undefined;
  try { url = new URL(o.address); } catch { /* below */ }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || hasControlChars(o.address)) {
    throw new TerrariumError('InvalidInput', `--vault-address ${JSON.stringify(o.address)} is not an http(s) URL.`, 'Give Vault\'s address as the operator reaches it, e.g. --vault-address https://vault.vault.svc:8200.');
  }
  const role = plain('--vault-role', o.role, 'terrarium');
  const mount = plain('--vault-auth-mount', o.authMount ?? DEFAULT_VAULT_AUTH_MOUNT, 'kubernetes');
  const sa = o.serviceAccount ?? DEFAULT_VAULT_SERVICE_ACCOUNT;
  if (!NAME.test(sa) || sa.length > 63) throw new TerrariumError('InvalidInput', `--vault-service-account ${JSON.stringify(sa)} is not a ServiceAccount name.`, 'Use lower-case letters, digits and "-", e.g. terrarium-vault.');
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace, labels: labels('vault-auth') }, automountServiceAccountToken: false },
    {
      apiVersion: VSO_API_VERSION, kind: 'VaultConnection', metadata: { name: VSO_OBJECT_NAME, namespace, labels: labels('vault-auth') },
      spec: { address: url.toString().replace(/\/$/, ''), skipTLSVerify: !!o.skipTLSVerify },
    },
    {
      apiVersion: VSO_API_VERSION, kind: 'VaultAuth', metadata: { name: VSO_OBJECT_NAME, namespace, labels: labels('vault-auth') },
      spec: { vaultConnectionRef: VSO_OBJECT_NAME, method: 'kubernetes', mount, kubernetes: { role, serviceAccount: sa } },
    },
  ];
}

/** Objects of these kinds need the operator's CRDs: install skips them (and says so) while VSO is absent. */
export const isVsoObject = (o: Obj): boolean => (o.apiVersion ?? '').startsWith(`${VSO_GROUP}/`);

export interface HelmTarget {
  /** The kubeconfig file and context Terrarium uses, so helm installs into the same cluster. */
  kubeconfig?: string;
  context?: string;
}

/** `helm repo add` and `helm upgrade --install` of the pinned chart (idempotent: running again upgrades in place). */
export function vsoHelmPlan(t: HelmTarget = {}): Step[] {
  const target = [...(t.kubeconfig ? ['--kubeconfig', t.kubeconfig] : []), ...(t.context ? ['--kube-context', t.context] : [])];
  return [
    { what: 'helm repo add', argv: ['helm', 'repo', 'add', 'hashicorp', HELM_REPO_URL, '--force-update'] },
    {
      what: 'helm upgrade --install',
      argv: ['helm', 'upgrade', '--install', VSO_RELEASE, `hashicorp/${VSO_RELEASE}`, '--version', VSO_CHART_VERSION,
        '-n', VSO_NAMESPACE, '--create-namespace', ...target],
    },
  ];
}

/** A step as a line to paste into a POSIX shell (display only: the steps run as argv arrays). */
export function shellLine(step: Step): string {
  return step.argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
