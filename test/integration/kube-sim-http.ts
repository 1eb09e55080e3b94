/**
 * A small JSON client for kube-sim tests that act as users over HTTP or HTTPS (client-go sends
 * bearer tokens over TLS only, so files that cross-check with kubectl as a user start kube-sim with
 * `tls: true`; its certificate is self-signed).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
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
