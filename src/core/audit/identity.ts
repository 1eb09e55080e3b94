/**
 * "Who" for audit records: the API server's own answer (SelfSubjectReview, through the shared,
 * cached lookup in kube/identity.ts); else the kubeconfig's user entry name, labelled as such.
 * Never throws and never holds an operation up for long: auditing must not break the work.
 */
import { kubeconfigUserName, reviewSelf, type IdentityKubeConfig } from '../kube/identity';
import type { AuditWho } from './types';

export type { IdentityKubeConfig } from '../kube/identity';

const cache = new WeakMap<object, Promise<AuditWho | undefined>>();

/** The identity for records made through this kubeconfig; cached per KubeConfig object. */
export function whoAmI(kc: IdentityKubeConfig): Promise<AuditWho | undefined> {
  let p = cache.get(kc);
  if (!p) {
    p = reviewSelf(kc)
      .then((r): AuditWho | undefined => (r.kind === 'user' ? { user: r.username, source: 'api-server' } : undefined), () => undefined)
      .then((who) => who ?? kubeconfigWho(kc));
    cache.set(kc, p);
  }
  return p;
}

function kubeconfigWho(kc: IdentityKubeConfig): AuditWho | undefined {
  const name = kubeconfigUserName(kc);
  return name ? { user: name, source: 'kubeconfig' } : undefined;
}
