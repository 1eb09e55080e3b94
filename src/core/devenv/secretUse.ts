/**
 * Secrets given to an environment's sandboxes (typically a Vault Secrets Operator destination): each
 * one reaches every sandbox either as environment variables (envFrom secretRef) or as read-only
 * files under /run/secrets/NAME (a secret volume, group-readable 0440: the files belong to the pod's
 * fsGroup, uid 1000's group, and nobody else). Both are allowed under Pod Security "restricted".
 * The pod template is the record: what is given is read back from it (describe, update).
 */
import { TerrariumError } from '../kube/errors';
import type { SecretUse } from './types';

export const SECRET_MOUNT_ROOT = '/run/secrets';
/** Owner and group read: the kubelet makes the files group-owned by the pod's fsGroup. */
export const SECRET_FILE_MODE = 0o440;
const VOLUME_PREFIX = 'secret-';

/** A Secret's name: a DNS subdomain (at most 253 characters). */
export function validateSecretName(name: string): void {
  if (typeof name !== 'string' || name.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
    throw new TerrariumError('InvalidInput', `${JSON.stringify(String(name).slice(0, 80))} is not a Secret name.`,
      'Use the Secret\'s name as "kubectl get secrets" shows it (for Vault, the VaultStaticSecret\'s destination name), e.g. --secret agent-keys or --secret agent-keys=file.');
  }
}

/** "NAME", "NAME=env" or "NAME=file" (the --secret flag); env is the default. */
export function parseSecretUse(text: string): SecretUse {
  const m = /^([^=]*)(?:=(.*))?$/.exec(String(text))!;
  const name = m[1]!;
  const as = m[2] ?? 'env';
  validateSecretName(name);
  if (as !== 'env' && as !== 'file') {
    throw new TerrariumError('InvalidInput', `--secret ${JSON.stringify(text)}: "${as}" is neither env nor file.`,
      'Write NAME=env for environment variables or NAME=file for files under /run/secrets/NAME.');
  }
  return { name, as };
}

/** Each Secret once; the same name given twice two ways is a mistake worth saying. */
export function validateSecretUses(uses: readonly SecretUse[]): void {
  const seen = new Map<string, string>();
  for (const u of uses) {
    validateSecretName(u.name);
    if (u.as !== 'env' && u.as !== 'file') throw new TerrariumError('InvalidInput', `Secret "${u.name}": "${String(u.as)}" is neither env nor file.`, 'Use env or file.');
    const before = seen.get(u.name);
    if (before !== undefined && before !== u.as) {
      throw new TerrariumError('InvalidInput', `The Secret "${u.name}" is given both as ${before} and as ${u.as}.`, 'Give each Secret once, as env or as file.');
    }
    seen.set(u.name, u.as);
  }
}

type Obj = Record<string, any>;

/** Adds the Secrets to a rendered pod template spec (the sandbox container is `container`). */
export function addSecretsToPod(podSpec: Obj, container: Obj, uses: readonly SecretUse[]): void {
  const unique = [...new Map(uses.map((u) => [u.name, u])).values()];
  const env = unique.filter((u) => u.as === 'env');
  const files = unique.filter((u) => u.as === 'file');
  if (env.length) container.envFrom = [...(container.envFrom ?? []), ...env.map((u) => ({ secretRef: { name: u.name } }))];
  files.forEach((u, i) => {
    // Volume names are DNS labels; Secret names may be longer subdomains, so volumes are numbered.
    const volume = `${VOLUME_PREFIX}${i}`;
    podSpec.volumes = [...(podSpec.volumes ?? []), { name: volume, secret: { secretName: u.name, defaultMode: SECRET_FILE_MODE } }];
    container.volumeMounts = [...(container.volumeMounts ?? []), { name: volume, mountPath: `${SECRET_MOUNT_ROOT}/${u.name}`, readOnly: true }];
  });
}

/** The Secrets a pod template gives its sandbox container, env ones first, in template order. */
export function secretsOfPod(podSpec: Obj | undefined, container: Obj | undefined): SecretUse[] {
  const out: SecretUse[] = [];
  for (const e of container?.envFrom ?? []) if (e?.secretRef?.name) out.push({ name: e.secretRef.name, as: 'env' });
  const mounted = new Set((container?.volumeMounts ?? []).map((m: Obj) => m.name));
  for (const v of podSpec?.volumes ?? []) {
    if (v?.secret?.secretName && String(v.name).startsWith(VOLUME_PREFIX) && mounted.has(v.name)) out.push({ name: v.secret.secretName, as: 'file' });
  }
  return out;
}
