/** Helpers for tests that watch kube-sim's controllers over HTTP (pods rolling, statuses moving). */
import type { KubeSim } from '../kube-sim/index';

export async function api(sim: KubeSim, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any; text: string }> {
  const r = await fetch(`${sim.url}${path}`, { method, headers: { 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, body: json, text };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try { const v = await fn(); if (v !== undefined && v !== false) return v; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * Pod events as a watch over HTTP delivers them: "TYPE name hash ready|notready [deleting]". The
 * watch starts at the list's resourceVersion, so nothing after this call is missed.
 */
export async function watchPods(sim: KubeSim, ns: string): Promise<{ lines: string[]; stop(): void }> {
  const lines: string[] = [];
  const ac = new AbortController();
  const rv = (await api(sim, 'GET', `/api/v1/namespaces/${ns}/pods`)).body.metadata.resourceVersion;
  void (async () => {
    const r = await fetch(`${sim.url}/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${rv}`, { signal: ac.signal });
    let buf = '';
    const dec = new TextDecoder();
    for await (const chunk of r.body as any as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const e = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        const p = e.object;
        const ready = p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') ? 'ready' : 'notready';
        lines.push(`${e.type} ${p.metadata.name} ${p.metadata.labels?.['controller-revision-hash']} ${ready}${p.metadata.deletionTimestamp ? ' deleting' : ''}`);
      }
    }
  })().catch(() => {});
  return { lines, stop: () => ac.abort() };
}

/**
 * From a pod watch, the rollout's steps: which pod went down, in order, and whether each went
 * down only after the pod replaced before it was Ready at the new revision (one at a time).
 */
export function rolloutOrder(lines: string[], newHash: string): { order: string[]; oneAtATime: boolean } {
  const order: string[] = [];
  let oneAtATime = true;
  let waitingFor: string | undefined;
  for (const l of lines) {
    const [type, name, hash, ready, deleting] = l.split(' ');
    if (type === 'MODIFIED' && deleting && hash !== newHash && !order.includes(name!)) {
      if (waitingFor) oneAtATime = false;
      order.push(name!);
      waitingFor = name;
    }
    if (waitingFor === name && hash === newHash && ready === 'ready' && !deleting) waitingFor = undefined;
  }
  return { order, oneAtATime };
}

