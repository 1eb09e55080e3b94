/**
 * Reads one object with a plain GET over the kubeconfig's credentials and TLS (the KubeConfig's
 * applyToHTTPSOptions, as the port-forward WebSocket uses them), answering the API server's JSON as
 * sent. The tunnel's diagnosis reads a pod or a StatefulSet only after a failure, and this keeps
 * the ProxyCommand (dist/proxy.js) free of client-node's generated API clients.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeOp } from '../kube/errors';
import { opOf, pathOf, type OpRow } from '../kube/ops';
import { translateKubeError } from '../kube/translate';

/** What a read needs from a KubeConfig (client-node's satisfies it). */
export interface GetKubeConfig {
  getCurrentCluster(): { server: string; name?: string } | null;
  applyToHTTPSOptions(opts: object): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

export interface GetOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * GETs the object `row` names (a `get` row of ops.ts); undefined when it does not exist (404).
 * Every other failure is a TerrariumError naming the context and server (translate.ts).
 */
export async function getObject<T>(kc: GetKubeConfig, where: { context?: string }, row: OpRow, namespace: string, name: string, o: GetOptions = {}): Promise<T | undefined> {
  const cluster = kc.getCurrentCluster();
  const op: KubeOp = { ...opOf(row, { name, namespace }), context: where.context, server: cluster?.server, cluster: cluster?.name };
  try {
    if (!cluster) throw new Error('the kubeconfig context has no cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + pathOf(row, namespace, name));
    const opts: https.RequestOptions = { headers: {} };
    await kc.applyToHTTPSOptions(opts);
    opts.headers = { ...(opts.headers as http.OutgoingHttpHeaders), Accept: 'application/json' };
    const { status, body, headers } = await request(url, opts, o);
    if (status === 404) return undefined;
    if (status >= 200 && status < 300) return JSON.parse(body) as T;
    // The shape translate.ts knows from client-node: numeric code, raw Status body, headers.
    throw Object.assign(new Error(`HTTP ${status}`), { code: status, body, headers });
  } catch (e) {
    throw translateKubeError(e, op);
  }
}

function request(url: URL, opts: https.RequestOptions, o: GetOptions): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { ...opts, method: 'GET', timeout: o.timeoutMs ?? 10_000, signal: o.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) { req.destroy(new Error(`the answer is larger than ${MAX_BODY} bytes`)); return; }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${Math.round((o.timeoutMs ?? 10_000) / 1000)} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}
