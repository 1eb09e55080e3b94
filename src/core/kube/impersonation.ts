/**
 * A KubeConfig acting for another user (Impersonate-User, and Impersonate-Group when given). Kept
 * apart from cluster.ts (which loads client-node's API clients) so that the SSH ProxyCommand
 * (dist/proxy.js) acts for a user with the same code as every other request.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { TerrariumError } from './errors';
import { reuseConnections } from './connections';

/**
 * `kc` acting for `user` (and, when given, `group`: impersonating a user drops the user's groups,
 * so a Role bound to a group needs it named). Every request (REST, watch, exec and port-forward
 * WebSockets: client-node adds the headers in applyHTTPSOptions, which all of them use) carries
 * `Impersonate-User`, so the API server checks that we may impersonate. One group only:
 * client-node's fetch path joins repeated header values with commas.
 */
export function impersonatingKubeConfig(kc: KubeConfig, context: string, user: string, opts: { group?: string } = {}): KubeConfig {
  for (const v of [user, ...(opts.group !== undefined ? [opts.group] : [])]) {
    // A header value: printable ASCII only (Node refuses the rest; a newline would split headers).
    if (!/^[\x20-\x7e]{1,256}$/.test(v)) {
      throw new TerrariumError('InvalidInput', `Cannot act for ${JSON.stringify(v.slice(0, 64))}: impersonation sends the name in a header, which takes 1-256 printable ASCII characters.`,
        'Give the user name as the API server knows it, e.g. --user alice@example.com.');
    }
  }
  const current = kc.getCurrentUser();
  if (!current) throw new TerrariumError('BadKubeconfig', `Context ${context} has no user to act for ${user} with.`, 'Pick a context with a user (kubectl config get-contexts).');
  const acting = new KubeConfig();
  acting.loadFromOptions({
    clusters: kc.clusters, contexts: kc.contexts, currentContext: kc.getCurrentContext(),
    users: kc.users.map((u) => (u.name === current.name ? { ...u, impersonateUser: user } : u)),
  });
  if (opts.group !== undefined) {
    // client-node has no setting for Impersonate-Group: add it where it adds Impersonate-User.
    const k = acting as unknown as { applyHTTPSOptions(o: { headers?: Record<string, string> }): void };
    const apply = k.applyHTTPSOptions.bind(acting);
    const group = opts.group;
    k.applyHTTPSOptions = (o) => { apply(o); (o.headers ??= {})['Impersonate-Group'] = group; };
  }
  return reuseConnections(acting);
}
