import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { kubeOp, OPS, pathOf } from '../kube/ops';
import { getJson } from '../kube/request';
import { isTerrariumManagedSecret, refuseManagedSecret } from './managed';

/**
 * One value of one Secret, read fresh from the API for an explicit reveal or copy. Nothing keeps
 * it: the caller hands it to the person and drops it. Terrarium's own Secrets (the host key) are
 * refused here, in the one function every reveal and copy goes through, whoever asks.
 */
export async function readSecretValue(cluster: Cluster, secret: string, key: string, signal?: AbortSignal): Promise<string> {
  if (isTerrariumManagedSecret(secret)) throw refuseManagedSecret(secret);
  const obj = await kubeOp(cluster, OPS.readSecret, { name: secret },
    () => getJson<{ data?: Record<string, string>; metadata?: { labels?: Record<string, string> } }>(cluster.kc, pathOf(OPS.readSecret, cluster.namespace, secret), {}, signal), { signal });
  if (isTerrariumManagedSecret(secret, obj.metadata?.labels)) throw refuseManagedSecret(secret);
  const b64 = obj.data?.[key];
  if (b64 === undefined) {
    throw new TerrariumError('NotFound', `The Secret "${secret}" has no key "${key}" (any more).`, 'Refresh the panel: the operator may have rewritten the Secret.');
  }
  const bytes = Buffer.from(b64, 'base64');
  const text = bytes.toString('utf8');
  // Binary values (keystores, DER) would show as mojibake: say what they are instead.
  return Buffer.from(text, 'utf8').equals(bytes) ? text : `(binary value, ${bytes.length} bytes: copy it with kubectl)`;
}
