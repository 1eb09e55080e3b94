import { STATUS_CODES } from 'node:http';
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { MAX_RESPONSE_BYTES, responseTooLarge } from './request';

/**
 * client-node's Watch, with one difference: no event line may grow past a cap. client-node splits
 * the stream with readline, which keeps an unterminated line in memory without limit, so a server
 * that never sends a newline could exhaust memory through a watch as an endless list would
 * through a list. Same protocol and callbacks otherwise: JSON lines `{type, object}`; a non-200
 * answer is an Error with `statusCode` (what ListWatch and translate.ts expect); an idle stream
 * is aborted after `idleTimeoutMs` (client-node: 30 s), which ListWatch treats as a reconnect.
 */
export class CappedWatch {
  constructor(
    private readonly kc: KubeConfig,
    private readonly maxLineBytes = MAX_RESPONSE_BYTES,
    private readonly idleTimeoutMs = 30_000,
  ) {}

  async watch(
    path: string, query: Record<string, unknown>,
    callback: (phase: string, obj: any, watchObj?: any) => void,
    done: (err: any) => void,
  ): Promise<{ abort(): void }> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('No currently active cluster');
    const url = new URL(cluster.server + path);
    url.searchParams.set('watch', 'true');
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));

    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      controller.abort();
      done(err ?? null);
    };
    const resetTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), this.idleTimeoutMs);
      timer.unref();
    };

    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    await this.kc.applySecurityAuthentication(ctx);
    ctx.setSignal(controller.signal);
    resetTimer();
    void (async () => {
      const rsp = await new IsomorphicFetchHttpLibrary().send(ctx).toPromise();
      if (rsp.httpStatusCode !== 200) {
        const err = Object.assign(new Error(STATUS_CODES[rsp.httpStatusCode] ?? 'Internal Server Error'), { statusCode: rsp.httpStatusCode });
        throw err;
      }
      resetTimer();
      const reader = (rsp.body.stream() as ReadableStream<Uint8Array>).getReader();
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end || finished) break;
        resetTimer();
        let chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10)) {
          pending.push(chunk.subarray(0, nl));
          const line = Buffer.concat(pending).toString('utf8');
          pending = [];
          pendingBytes = 0;
          chunk = chunk.subarray(nl + 1);
          if (!line.trim()) continue;
          let event: any;
          try { event = JSON.parse(line); } catch { continue; } // as client-node: skip what does not parse
          callback(event.type, event.object, event);
          if (finished) return;
        }
        if (chunk.length) {
          pendingBytes += chunk.length;
          if (pendingBytes > this.maxLineBytes) {
            await reader.cancel().catch(() => {});
            throw responseTooLarge(url.toString(), this.maxLineBytes);
          }
          pending.push(Buffer.from(chunk));
        }
      }
      finish(null);
    })().catch((e: unknown) => finish(e));
    return controller;
  }
}
