/**
 * Times bytes on an SSH session that is already open: upload, download and one-byte round trips.
 * ssh start, key exchange, authentication and the ProxyCommand's start happen before any clock
 * starts. Runs as its own process (SessionDriver spawns this file) so that pumping hundreds of MiB
 * does not share an event loop with kube-sim, which serves the tunnels in the benchmark's process.
 *
 * The far side is one POSIX shell line: `head -c` reads exactly N bytes from a pipe (GNU), `read`
 * takes one line without reading ahead, and `cat` echoes the round trips.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface SessionRequest {
  sshArgs: string[];
  env?: NodeJS.ProcessEnv;
  uploadBytes: number;
  downloadBytes: number;
  roundTrips: number;
}

export interface SessionTimes {
  uploadMs: number;
  downloadMs: number;
  rttMs: number[];
}

export const BASE_SSH = ['-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', '-o', 'Compression=no'];

/** Hands out the bytes of a stream in order; bytes nobody keeps are counted and dropped at once. */
class Inbox {
  private readonly queue: Buffer[] = [];
  private waiter?: { remaining: number; keep: Buffer[] | undefined; resolve: (b: Buffer) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(stream: Readable) {
    stream.on('data', (d: Buffer) => { this.queue.push(d); this.pump(); });
  }

  fail(e: Error): void {
    this.failure = e;
    const w = this.waiter;
    if (w) { this.waiter = undefined; w.reject(e); }
  }

  /** The next n bytes (kept only when asked: a download is counted, not stored). */
  take(n: number, keep: boolean): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { remaining: n, keep: keep ? [] : undefined, resolve, reject };
      this.pump();
    });
  }

  private pump(): void {
    const w = this.waiter;
    while (w && w.remaining > 0 && this.queue.length) {
      const head = this.queue[0]!;
      const n = Math.min(head.length, w.remaining);
      w.keep?.push(head.subarray(0, n));
      w.remaining -= n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    if (w && w.remaining === 0) {
      this.waiter = undefined;
      w.resolve(Buffer.concat(w.keep ?? []));
    }
  }
}

const ms = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

/** Opens one session, waits until the far side is ready, then times each transfer on it. */
export async function timeSession(req: SessionRequest): Promise<SessionTimes> {
  const up = Math.floor(req.uploadBytes), down = Math.floor(req.downloadBytes);
  const farSide = `echo ready; head -c ${up} >/dev/null && echo done; read -r go && head -c ${down} /dev/zero; exec cat`;
  const p = spawn('ssh', [...BASE_SSH, ...req.sshArgs, farSide], { env: { ...process.env, ...req.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => { stderr += d; });
  p.stdin.on('error', () => {}); // a dead session shows as the exit below, with ssh's message
  const inbox = new Inbox(p.stdout);
  const exited = once(p, 'close');
  const died = exited.then(([code]) => { throw new Error(`ssh exited (${code}) mid-session: ${stderr.trim() || 'no message'}`); });
  died.catch((e: Error) => inbox.fail(e));
  const expect = async (text: string) => {
    const got = (await inbox.take(text.length, true)).toString();
    if (got !== text) throw new Error(`expected ${JSON.stringify(text)} from the far side, got ${JSON.stringify(got)}: ${stderr.trim()}`);
  };
  try {
    await expect('ready\n');

    // Upload: from the first byte written to the far side's "done" after it has read them all.
    const block = Buffer.alloc(Math.min(1 << 20, Math.max(up, 1)));
    let t = process.hrtime.bigint();
    for (let left = up; left > 0; left -= block.length) {
      if (!p.stdin.write(left >= block.length ? block : block.subarray(0, left))) await Promise.race([once(p.stdin, 'drain'), died]);
    }
    await expect('done\n');
    const uploadMs = ms(t);

    // Download: from asking to the last byte received.
    t = process.hrtime.bigint();
    p.stdin.write('go\n');
    await inbox.take(down, false);
    const downloadMs = ms(t);

    const rttMs: number[] = [];
    for (let i = 0; i < req.roundTrips; i++) {
      t = process.hrtime.bigint();
      p.stdin.write('x');
      await expect('x');
      rttMs.push(ms(t));
    }
    return { uploadMs, downloadMs, rttMs };
  } finally {
    p.stdin.end();
    const kill = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited.catch(() => {});
    clearTimeout(kill);
  }
}

/**
 * One child process (see the file comment) that times sessions on request, one at a time: a JSON
 * request per line in, a JSON answer per line out. Started once per benchmark, so that tsx's start
 * is paid once, outside every clock.
 */
export class SessionDriver {
  private readonly proc: ChildProcess;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor() {
    this.proc = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'sshSession.ts')], { cwd: join(__dirname, '..', '..'), stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr!.on('data', (d: Buffer) => { this.stderr += d; });
    this.lines = createInterface({ input: this.proc.stdout! })[Symbol.asyncIterator]();
  }

  /** Times one session; a session that takes longer than timeoutMs ends the driver (and the benchmark) with an error. */
  async run(req: SessionRequest, timeoutMs = 10 * 60_000): Promise<SessionTimes> {
    this.proc.stdin!.write(`${JSON.stringify(req)}\n`);
    const kill = setTimeout(() => { this.stderr += `no answer within ${timeoutMs} ms`; this.proc.kill('SIGKILL'); }, timeoutMs);
    const next = await this.lines.next().finally(() => clearTimeout(kill));
    if (next.done) throw new Error(`the session driver exited (${this.proc.exitCode}): ${this.stderr.trim()}`);
    const answer = JSON.parse(next.value) as { times?: SessionTimes; error?: string };
    if (!answer.times) throw new Error(`session timing failed: ${answer.error}`);
    return answer.times;
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = once(this.proc, 'close');
    this.proc.stdin!.end();
    const kill = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  }
}

if (require.main === module) {
  void (async () => {
    for await (const line of createInterface({ input: process.stdin })) {
      if (!line.trim()) continue;
      try {
        process.stdout.write(`${JSON.stringify({ times: await timeSession(JSON.parse(line) as SessionRequest) })}\n`);
      } catch (e) {
        process.stdout.write(`${JSON.stringify({ error: e instanceof Error ? e.message : String(e) })}\n`);
      }
    }
  })();
}
