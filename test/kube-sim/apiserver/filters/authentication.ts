/**
 * Authentication: who is asking, from a bearer token (kube-apiserver's static token file
 * authenticator, --token-auth-file): every authenticated user also gets `system:authenticated`
 * (authenticator/group AuthenticatedGroupAdder).
 * - a token of a user added with addUser(): that user;
 * - the admin token (KubeSimOptions.token, else `kube-sim-token`, what writeKubeconfig writes by
 *   default): the admin `terrarium-test`, in `system:masters`;
 * - any other bearer token: 401 Unauthorized (the real Status);
 * - no credentials at all: `system:anonymous` (group system:unauthenticated) as on a real server,
 *   once users were added; before that the admin (raw HTTP calls in single-user tests), unless a
 *   token is required (KubeSimOptions.token: 401).
 * Note: client-go (kubectl) sends credentials over TLS only, so a multi-user kube-sim runs with tls.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { unauthorized } from '../../machinery/errors';

export interface UserInfo { name: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }

export const DEFAULT_TOKEN = 'kube-sim-token';
export const AUTHENTICATED_GROUP = 'system:authenticated';

export class Authenticator {
  /** When set, requests must carry `Authorization: Bearer <token>` (or a token of an added user). */
  token?: string;
  /** The admin of kube-sim (the default kubeconfig's user). */
  readonly defaultUser: UserInfo = { name: 'terrarium-test', groups: ['system:masters', AUTHENTICATED_GROUP] };
  private readonly tokens = new Map<string, UserInfo>();

  /** Registers a user; returns the bearer token that identifies them. */
  addUser(name: string, opts: { token?: string; groups?: string[] } = {}): string {
    const token = opts.token ?? randomBytes(16).toString('hex');
    const groups = [...(opts.groups ?? [])];
    // A ServiceAccount's token carries its groups (pkg/serviceaccount: system:serviceaccounts[:<ns>]).
    const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(name);
    if (sa) for (const g of ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`]) if (!groups.includes(g)) groups.push(g);
    if (!groups.includes(AUTHENTICATED_GROUP)) groups.push(AUTHENTICATED_GROUP);
    this.tokens.set(token, { name, groups });
    return token;
  }

  /** The token of an added user (the first, if several), or undefined. */
  tokenOf(name: string): string | undefined {
    for (const [t, u] of this.tokens) if (u.name === name) return t;
    return undefined;
  }

  authenticate(req: IncomingMessage): UserInfo {
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const known = bearer !== undefined ? this.tokens.get(bearer) : undefined;
    if (known) return { ...known, groups: [...known.groups] };
    const admin = this.token ?? DEFAULT_TOKEN;
    if (bearer === admin) return this.admin();
    if (bearer !== undefined || this.token) throw unauthorized();
    return this.tokens.size ? { name: 'system:anonymous', groups: ['system:unauthenticated'] } : this.admin();
  }

  private admin(): UserInfo { return { ...this.defaultUser, groups: [...this.defaultUser.groups] }; }
}
