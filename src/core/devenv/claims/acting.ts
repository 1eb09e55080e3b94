/**
 * Who a claim or release acts as. Without `user`: yourself, as the API server authenticated you.
 * With a `user` that is not you: that user, through impersonation (Impersonate-User on every
 * request, with the group terrarium-users), so the API server decides whether you may act for them.
 */
import type { Cluster } from '../../kube/cluster';
import { currentIdentity, type Identity } from '../../kube/identity';
import { validateUser } from './record';

// TODO(wave3): import DEFAULT_USERS_GROUP from src/core/platform/names.ts once it is committed.
/** Every Terrarium user's group: impersonating a user drops their groups, so it is named again. */
export const USERS_GROUP = 'terrarium-users';

/** The cluster acting for `user`, in the Terrarium users group (the API server checks we may). */
export function impersonate(cluster: Cluster, user: string): Cluster {
  return cluster.impersonating(validateUser(user), { group: USERS_GROUP });
}

export interface Acting {
  /** The cluster to make every request of the operation through. */
  cluster: Cluster;
  identity: Identity;
  /** Set when acting for someone else: the user impersonated. */
  actingFor?: string;
}

export async function actingAs(cluster: Cluster, user: string | undefined, signal?: AbortSignal): Promise<Acting> {
  if (user === undefined || user === cluster.impersonatedUser) {
    return { cluster, identity: await currentIdentity(cluster, signal), actingFor: cluster.impersonatedUser };
  }
  validateUser(user);
  // Impersonating yourself still needs the impersonate permission: only impersonate someone else.
  const self = await currentIdentity(cluster, signal);
  if (self.username === user) return { cluster, identity: self };
  const acting = impersonate(cluster, user);
  return { cluster: acting, identity: await currentIdentity(acting, signal), actingFor: user };
}
