/**
 * Connection reuse for API requests. client-node 2.0 builds a new undici Agent for every request
 * (KubeConfig.applySecurityAuthentication -> createDispatcher), so every call paid a new TCP
 * connection and TLS handshake: on a cluster 50 ms away that is two or three round trips before
 * the request is even sent, and under a burst of claims it was the claiming client's largest cost
 * (profiled: socket connect). Here one KubeConfig keeps its dispatchers, one per distinct set of
 * TLS settings (a credential plugin that rotates its client certificate gets a new one), so
 * requests share keep-alive connections as client-go's transport cache does.
 */
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';

/** Distinct TLS settings kept per KubeConfig; the oldest closes (after its requests) beyond this. */
const MAX_DISPATCHERS = 4;

type Dispatcher = { close?: () => Promise<void> } | undefined;
type WithDispatcher = {
  createDispatcher(cluster: unknown, agentOptions: Record<string, unknown>): Dispatcher;
  createDispatcherOptions(cluster: unknown, agentOptions: Record<string, unknown>): unknown;
};

/** A key for the TLS settings: buffers (CA, certificate, key) by their hash, never by content. */
function keyOf(options: unknown): string {
  const h = createHash('sha256');
  const walk = (v: unknown): void => {
    if (Buffer.isBuffer(v)) { h.update(`b:${createHash('sha256').update(v).digest('hex')};`); return; }
    if (Array.isArray(v)) { h.update('['); v.forEach(walk); h.update(']'); return; }
    if (v && typeof v === 'object') {
      for (const k of Object.keys(v).sort()) { h.update(`${k}=`); walk((v as Record<string, unknown>)[k]); }
      h.update(';');
      return;
    }
    h.update(`${typeof v}:${String(v)};`);
  };
  walk(options);
  return h.digest('hex');
}

/** Makes kc reuse its connections (see above); returns kc. Safe to call twice. */
export function reuseConnections<T extends KubeConfig>(kc: T): T {
  const k = kc as unknown as WithDispatcher & { terrariumReuse?: true };
  if (k.terrariumReuse || typeof k.createDispatcher !== 'function' || typeof k.createDispatcherOptions !== 'function') return kc;
  const make = k.createDispatcher.bind(kc);
  const kept = new Map<string, Dispatcher>();
  k.createDispatcher = (cluster, agentOptions) => {
    const key = keyOf(k.createDispatcherOptions(cluster, agentOptions));
    if (kept.has(key)) return kept.get(key);
    const d = make(cluster, agentOptions);
    kept.set(key, d);
    if (kept.size > MAX_DISPATCHERS) {
      const [oldest, old] = kept.entries().next().value as [string, Dispatcher];
      kept.delete(oldest);
      void old?.close?.().catch(() => {});
    }
    return d;
  };
  k.terrariumReuse = true;
  return kc;
}
