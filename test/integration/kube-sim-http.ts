/**
 * A small JSON client for kube-sim tests that act as users over HTTP or HTTPS (client-go sends
 * bearer tokens over TLS only, so files that cross-check with kubectl as a user start kube-sim with
 * `tls: true`; its certificate is self-signed).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import WebSocket from 'ws';
import { DEFAULT_TOKEN } from '../kube-sim/index';

export interface Reply { status: number; body: any; headers: http.IncomingHttpHeaders }

export function simClient(url: () => string) {
  const call = (method: string, path: string, body?: unknown, token: string = DEFAULT_TOKEN, headers: Record<string, string> = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const u = `${url()}${path}`;
      const mod = u.startsWith('https:') ? https : http;
      const req = mod.request(u, {
        method, rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any = text || undefined;
          try { parsed = text ? JSON.parse(text) : undefined; } catch { /* text */ }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    });
  const ok = async (method: string, path: string, body?: unknown, token?: string, headers?: Record<string, string>): Promise<any> => {
    const r = await call(method, path, body, token, headers);
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return { call, ok };
}

/** Waits for a condition, polling (no fixed sleeps in tests). */
export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A WebSocket exec (v5.channel.k8s.io, as kubectl >= 1.30 opens it): stdout, stderr and the final Status, or the refusal's status and Status. */
export function wsExec(baseUrl: string, ns: string, pod: string, command: string[], token: string = DEFAULT_TOKEN):
  Promise<{ status: number; stdout: string; stderr: string; result?: any; body?: any }> {
  const q = command.map((c) => `command=${encodeURIComponent(c)}`).join('&');
  const url = `${baseUrl.replace(/^http/, 'ws')}/api/v1/namespaces/${ns}/pods/${pod}/exec?${q}&stdout=true&stderr=true`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false });
    let stdout = '', stderr = '', result: any;
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, stdout, stderr, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    ws.on('message', (data: Buffer) => {
      const payload = data.subarray(1).toString('utf8');
      if (data[0] === 1) stdout += payload;
      else if (data[0] === 2) stderr += payload;
      else if (data[0] === 3) result = JSON.parse(payload);
    });
    ws.on('close', () => resolve({ status: 101, stdout, stderr, result }));
    ws.on('error', reject);
  });
}
