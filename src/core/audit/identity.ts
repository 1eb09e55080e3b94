/**
 * "Who" for audit records: the API server's own answer (SelfSubjectReview, GA in Kubernetes 1.28),
 * asked once per kubeconfig lazily and cached; else the kubeconfig's user entry name, labelled as
 * such. Never throws and never holds an operation up for long: auditing must not break the work.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AuditWho } from './types';

/** What a lookup needs from a KubeConfig (client-node's KubeConfig fits; so do test stand-ins). */
export interface IdentityKubeConfig {
  getCurrentCluster(): { server: string } | null;
  getCurrentUser?(): { name: string } | null;
  applyToHTTPSOptions(opts: object): Promise<void>;
}

const REVIEW_PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
const REVIEW_BODY = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
const LOOKUP_TIMEOUT_MS = 3000;

const cache = new WeakMap<object, Promise<AuditWho | undefined>>();

/** The identity for records made through this kubeconfig; cached per KubeConfig object. */
export function whoAmI(kc: IdentityKubeConfig): Promise<AuditWho | undefined> {
  let p = cache.get(kc);
  if (!p) {
    p = lookup(kc).catch(() => undefined).then((who) => who ?? kubeconfigWho(kc));
    cache.set(kc, p);
  }
  return p;
}

function kubeconfigWho(kc: IdentityKubeConfig): AuditWho | undefined {
  try {
    const name = kc.getCurrentUser?.()?.name;
    return name ? { user: name, source: 'kubeconfig' } : undefined;
  } catch {
    return undefined;
  }
}

/** POST a SelfSubjectReview; undefined when the server does not serve it (404 before 1.28) or refuses. */
async function lookup(kc: IdentityKubeConfig): Promise<AuditWho | undefined> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) return undefined;
  const url = new URL(server.replace(/\/+$/, '') + REVIEW_PATH);
  const opts: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  opts.headers = { ...(opts.headers as http.OutgoingHttpHeaders), 'Content-Type': 'application/json', Accept: 'application/json' };
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = mod.request(url, { ...opts, method: 'POST', timeout: LOOKUP_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 64 * 1024) { req.destroy(); resolve(undefined); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200 && res.statusCode !== 201) return resolve(undefined);
        try {
          const user = JSON.parse(Buffer.concat(chunks).toString('utf8'))?.status?.userInfo?.username;
          resolve(typeof user === 'string' && user ? { user, source: 'api-server' } : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => { req.destroy(); resolve(undefined); });
    req.on('error', () => resolve(undefined));
    req.end(REVIEW_BODY);
  });
}
