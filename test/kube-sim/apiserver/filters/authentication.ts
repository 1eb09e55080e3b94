/**
 * Authentication: who is asking. Today one fixed user (terrarium-test) for every request; with a
 * required token set (KubeSimOptions.token) anything else is 401. Users added with addUser() are
 * recognised by their bearer token: the hook for the multi-user work (issue 10, section 7), which
 * will also make unknown tokens 401.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { unauthorized } from '../../machinery/errors';

export interface UserInfo { name: string; uid?: string; groups: string[] }

export class Authenticator {
  /** When set, requests must carry `Authorization: Bearer <token>` (or a token of an added user). */
  token?: string;
  /** The user every other request is (the admin of kube-sim). */
  readonly defaultUser: UserInfo = { name: 'terrarium-test', groups: ['system:masters', 'system:authenticated'] };
  private readonly tokens = new Map<string, UserInfo>();

  /** Registers a user; returns the bearer token that identifies them. */
  addUser(name: string, opts: { token?: string; groups?: string[] } = {}): string {
    const token = opts.token ?? randomBytes(16).toString('hex');
    this.tokens.set(token, { name, groups: [...(opts.groups ?? []), 'system:authenticated'] });
    return token;
  }

  authenticate(req: IncomingMessage): UserInfo {
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    const known = bearer !== undefined ? this.tokens.get(bearer) : undefined;
    if (known) return known;
    if (this.token && header !== `Bearer ${this.token}`) throw unauthorized();
    return this.defaultUser;
  }
}
