/**
 * A pod's log followed as it is written (GET pods/NAME/log?follow=true), into a Writable that is
 * not ended here. Resolves when the API server ends the answer (the container terminated), rejects
 * on a refusal. Sent with the context's credentials and TLS settings (applyToHTTPSOptions, as
 * identity.ts does), so impersonation applies too.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Writable } from 'node:stream';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { fullOpOf, OPS, pathOf } from '../kube/ops';
import { translateKubeError } from '../kube/translate';
import { ApiException } from '@kubernetes/client-node';

export async function followPodLog(cluster: Cluster, pod: string, container: string, out: Writable, signal?: AbortSignal, opts: { follow?: boolean } = {}): Promise<void> {
  const server = cluster.kc.getCurrentCluster()?.server;
  if (!server) throw new TerrariumError('BadKubeconfig', `Context ${cluster.context} has no cluster server.`, 'Check the kubeconfig (kubectl config view).');
  const url = new URL(server.replace(/\/+$/, '') + pathOf(OPS.readPodLog, cluster.namespace, pod));
  url.searchParams.set('container', container);
  if (opts.follow !== false) url.searchParams.set('follow', 'true');
  const reqOpts: https.RequestOptions = { headers: {} };
  await cluster.kc.applyToHTTPSOptions(reqOpts);
  const mod = url.protocol === 'https:' ? https : http;
  const op = fullOpOf(cluster, OPS.readPodLog, { name: pod });
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) { resolve(); return; }
    const req = mod.request(url, { ...reqOpts, method: 'GET', signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { if (body.length < 64 * 1024) body += d; });
        res.on('end', () => reject(translateKubeError(new ApiException(status, 'pod log', body, {}), op)));
        return;
      }
      res.on('data', (d: Buffer) => {
        if (!out.write(d)) { res.pause(); out.once('drain', () => res.resume()); }
      });
      res.on('end', () => resolve());
      res.on('error', (e) => (signal?.aborted ? resolve() : reject(e)));
    });
    // Cancelled by the caller: the stream just ends.
    req.on('error', (e) => (signal?.aborted ? resolve() : reject(translateKubeError(e, op))));
    req.end();
  });
}
