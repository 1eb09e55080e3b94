/** Reading request bodies and writing responses (JSON, text, Status errors). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import { ApiError, badRequest } from '../machinery/errors';

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A JSON or YAML (by content type) request body; 400 when it does not decode. */
export function decodeBody(body: string, req: IncomingMessage): any {
  try {
    const ct = String(req.headers['content-type'] ?? '');
    return ct.includes('yaml') ? yaml.load(body) : JSON.parse(body);
  } catch (e) {
    throw badRequest(`the request body could not be decoded: ${e instanceof Error ? e.message : e}`);
  }
}

export function writeJson(res: ServerResponse, code: number, obj: unknown): void {
  const b = JSON.stringify(obj);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) });
  res.end(b);
}

export function writeText(res: ServerResponse, code: number, t: string): void {
  res.writeHead(code, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(t) });
  res.end(t);
}

export function writeError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${e instanceof Error ? e.message : String(e)}`);
  if (res.headersSent) { res.end(); return; }
  writeJson(res, err.code, err.toStatus());
}
