/**
 * Who the API server says we are: a SelfSubjectReview (authentication.k8s.io/v1, GA in 1.28), asked
 * once per KubeConfig and cached. It answers for the impersonated user when the requests carry
 * `Impersonate-User` (Cluster.impersonating), and only after the server checked that the caller may.
 * A server without the API (404) gets the kubeconfig's user name instead, with a note saying so.
 * Audit records (audit/identity.ts) and claims use the same lookup, so a process asks at most once.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Cluster } from './cluster';
import { TerrariumError } from './errors';
import { OPS, pathOf } from './ops';

export interface Identity {
  username: string;
  groups: string[];
  source: 'api-server' | 'kubeconfig';
  /** Why the identity is not the API server's (shown to the user). */
  note?: string;
}

/** What a lookup needs from a KubeConfig (client-node's KubeConfig fits; so do test stand-ins). */
export interface IdentityKubeConfig {
  getCurrentCluster(): { server: string } | null;
  getCurrentUser?(): { name: string; impersonateUser?: string | null } | null;
  applyToHTTPSOptions(opts: object): Promise<void>;
}

/** The server's answer: a user, or the HTTP status and Status message it refused with. */
export type SelfReview =
  | { kind: 'user'; username: string; groups: string[] }
  | { kind: 'refused'; status: number; message: string };

const REVIEW_PATH = pathOf(OPS.createSelfSubjectReview, undefined);
const REVIEW_BODY = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
const LOOKUP_TIMEOUT_MS = 10_000;
const MAX_ANSWER = 64 * 1024;

const reviews = new WeakMap<object, Promise<SelfReview>>();

/**
 * POSTs one SelfSubjectReview; cached per KubeConfig (a failed request is not cached, a refusal
 * is). Rejects only when the server could not be reached or answered nonsense.
 */
export function reviewSelf(kc: IdentityKubeConfig): Promise<SelfReview> {
  let p = reviews.get(kc);
  if (!p) {
    p = postReview(kc);
    reviews.set(kc, p);
    p.catch(() => { if (reviews.get(kc) === p) reviews.delete(kc); });
  }
  return p;
}

async function postReview(kc: IdentityKubeConfig): Promise<SelfReview> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig context has no cluster server');
  const url = new URL(server.replace(/\/+$/, '') + REVIEW_PATH);
  const opts: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(opts); // credentials, TLS and Impersonate-User
  opts.headers = { ...(opts.headers as http.OutgoingHttpHeaders), 'Content-Type': 'application/json', Accept: 'application/json' };
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<SelfReview>((resolve, reject) => {
    const req = mod.request(url, { ...opts, method: 'POST', timeout: LOOKUP_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER) { req.destroy(new Error('SelfSubjectReview answer too large')); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        let body: any;
        try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { body = undefined; }
        const status = res.statusCode ?? 0;
        if (status === 200 || status === 201) {
          const info = body?.status?.userInfo;
          if (typeof info?.username !== 'string' || !info.username) return reject(new Error('SelfSubjectReview without a username'));
          const groups = Array.isArray(info.groups) ? info.groups.filter((g: unknown): g is string => typeof g === 'string') : [];
          return resolve({ kind: 'user', username: info.username, groups });
        }
        resolve({ kind: 'refused', status, message: typeof body?.message === 'string' ? body.message : `HTTP ${status}` });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${LOOKUP_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(REVIEW_BODY);
  });
}

/** The kubeconfig's user entry name (what kubectl calls the user), if any. */
export function kubeconfigUserName(kc: IdentityKubeConfig): string | undefined {
  try {
    return kc.getCurrentUser?.()?.name || undefined;
  } catch {
    return undefined;
  }
}

function impersonatedUser(kc: IdentityKubeConfig): string | undefined {
  try {
    return kc.getCurrentUser?.()?.impersonateUser || undefined;
  } catch {
    return undefined;
  }
}

const identities = new WeakMap<object, Promise<Identity>>();

/**
 * The identity requests through this Cluster act as (cached per KubeConfig: withNamespace copies
 * share it, impersonating() copies do not). Throws a clear Forbidden when impersonation is refused.
 */
export function currentIdentity(cluster: Cluster, signal?: AbortSignal): Promise<Identity> {
  const kc = cluster.kc as unknown as IdentityKubeConfig;
  let p = identities.get(kc);
  if (!p) {
    p = resolveIdentity(cluster, kc);
    identities.set(kc, p);
    p.catch(() => { if (identities.get(kc) === p) identities.delete(kc); });
  }
  if (!signal) return p;
  return Promise.race([p, new Promise<never>((_, reject) => {
    const fail = () => reject(new TerrariumError('Cancelled', 'Cancelled.'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  })]);
}

async function resolveIdentity(cluster: Cluster, kc: IdentityKubeConfig): Promise<Identity> {
  const actingFor = impersonatedUser(kc);
  const where = `context ${cluster.context}${cluster.server ? ` (${cluster.server})` : ''}`;
  let review: SelfReview;
  try {
    review = await reviewSelf(kc);
  } catch (e) {
    throw new TerrariumError('Unreachable', `Could not ask the API server of ${where} who you are: ${(e as Error).message}.`,
      'Check that the cluster is reachable (terrarium status) and try again.', { cause: e });
  }
  if (review.kind === 'user') return { username: review.username, groups: review.groups, source: 'api-server' };
  if (review.status === 403 && actingFor) throw impersonationRefused(actingFor, review.message);
  if (review.status === 401) {
    throw new TerrariumError('Unauthorized', `The cluster rejected the credentials of ${where}.`, 'Log in again or refresh the kubeconfig credentials.', { status: 401 });
  }
  if (review.status === 404) {
    // Before Kubernetes 1.28 (or with the API disabled) the server cannot say; the kubeconfig can.
    const name = actingFor ?? kubeconfigUserName(kc);
    if (name) {
      return {
        username: name, groups: [], source: 'kubeconfig',
        note: `The API server of ${where} does not serve SelfSubjectReview (Kubernetes < 1.28), so Terrarium uses ${actingFor ? 'the impersonated user' : 'the kubeconfig user name'} "${name}"; it may differ from the name the server checks claims against.`,
      };
    }
  }
  throw new TerrariumError(review.status === 403 ? 'Forbidden' : 'ServerError',
    `The API server of ${where} did not say who you are (HTTP ${review.status}: ${review.message}).`,
    'Check your credentials with `kubectl auth whoami`, then try again.', { status: review.status });
}

/** The 403 of an Impersonate-User request the caller may not make, said so it can be acted on. */
export function impersonationRefused(user: string, serverMessage: string): TerrariumError {
  return new TerrariumError('Forbidden',
    `You may not act for "${user}": the API server refused to impersonate that user (${serverMessage}).`,
    'Acting for someone else (--user or TERRARIUM_USER) needs the `impersonate` permission on users (admins: group terrarium-admins); drop --user to act as yourself.',
    { status: 403 });
}
