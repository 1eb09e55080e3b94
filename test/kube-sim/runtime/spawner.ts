/**
 * Starts exec processes through one long-lived helper (spawner.py) instead of `spawn` in the
 * kube-sim process. Node's spawn forks kube-sim's whole heap and blocks its event loop, which is
 * the API server's, until the child has exec'd: under 50 claims/s (each installs a key over exec)
 * those blocked stretches queued every other request (profiled: spawn was the largest self time in
 * kube-sim). The helper forks from a small process, off this event loop.
 *
 * `spawn()` returns at once an object with the parts of ChildProcess the runtime uses (stdin,
 * stdout, stderr, pid, exitCode, kill, and the 'spawn' / 'error' / 'exit' / 'close' events), so
 * the exec stream code reads the same either way. A spawn failure arrives as an 'error' event
 * whose `code` is the errno name (ENOENT, EACCES), as Node's would.
 */
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';

export interface SpawnRequest { argv: string[]; cwd: string; env: NodeJS.ProcessEnv; uid?: number; gid?: number }

const HELPER = join(__dirname, 'spawner.py');

function frame(ch: number, data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = ch;
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

/** A process started by the helper, shaped like the ChildProcess parts the runtime uses. */
export class SpawnedProcess extends EventEmitter {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable;
  readonly stdio: [Writable, PassThrough, PassThrough];
  private sock: Socket | undefined;
  private pending: Buffer[] = [];
  private done = false;

  constructor() {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer, _enc, cb) => { this.send(0, chunk); cb(); },
      final: (cb) => { this.send(0, Buffer.alloc(0)); cb(); },
    });
    this.stdio = [this.stdin, this.stdout, this.stderr];
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const n = typeof signal === 'number' ? signal : constants.signals[signal];
    if (this.done || n === undefined) return false;
    this.send(9, Buffer.from(String(n)));
    return true;
  }

  /** Called once the helper's socket is connected: the request goes first, then what was queued. */
  attach(sock: Socket, req: SpawnRequest): void {
    this.sock = sock;
    sock.write(`${JSON.stringify(req)}\n`);
    for (const b of this.pending) sock.write(b);
    this.pending = [];
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 5) {
        const n = buf.readUInt32BE(1);
        if (buf.length < 5 + n) break;
        const ch = buf[0]!;
        const data = buf.subarray(5, 5 + n);
        buf = buf.subarray(5 + n);
        this.onFrame(ch, data);
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => { if (!this.done) this.fail('EPIPE', 'the exec helper went away'); });
  }

  fail(code: string, message: string): void {
    if (this.done) return;
    this.done = true;
    this.emit('error', Object.assign(new Error(`spawn ${message}`), { code }));
    this.stdout.end();
    this.stderr.end();
    this.emit('close', null, null);
    this.sock?.destroy();
  }

  private send(ch: number, data: Buffer): void {
    if (this.done) return;
    const f = frame(ch, data);
    if (this.sock) this.sock.write(f);
    else this.pending.push(f);
  }

  private onFrame(ch: number, data: Buffer): void {
    if (ch === 0x70) { // "p": it runs
      this.pid = Number(data.toString());
      this.emit('spawn');
    } else if (ch === 0x65) { // "e": it could not start
      const text = data.toString();
      const sp = text.indexOf(' ');
      this.fail(text.slice(0, sp), text.slice(sp + 1));
    } else if (ch === 1) {
      this.stdout.write(data);
    } else if (ch === 2) {
      this.stderr.write(data);
    } else if (ch === 3) {
      const v = Number(data.toString());
      this.done = true;
      if (v < 0) {
        this.signalCode = (Object.entries(constants.signals).find(([, n]) => n === -v)?.[0] ?? 'SIGKILL') as NodeJS.Signals;
      } else {
        this.exitCode = v;
      }
      this.stdout.end();
      this.stderr.end();
      this.emit('exit', this.exitCode, this.signalCode);
      this.emit('close', this.exitCode, this.signalCode);
      this.sock?.end();
    }
  }
}

export function createSpawner(): { spawn(req: SpawnRequest): SpawnedProcess; close(): void } {
  let dir: string | undefined;
  let helper: ChildProcess | undefined;
  let ready: Promise<string> | undefined;
  const live = new Set<SpawnedProcess>();

  const start = (): Promise<string> => {
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-spawner-'));
    const path = join(dir, 'sock');
    const c = nodeSpawn('python3', [HELPER, path], { stdio: ['pipe', 'pipe', 'inherit'] });
    helper = c;
    // An idle helper does not keep the sim's process alive.
    for (const h of [c, c.stdin, c.stdout] as unknown as { unref?: () => void }[]) h?.unref?.();
    return new Promise((resolve, reject) => {
      c.stdout!.once('data', () => resolve(path));
      c.on('error', (e) => reject(e));
      c.on('close', () => {
        reject(new Error('the exec helper exited'));
        helper = undefined;
        ready = undefined;
      });
    });
  };

  return {
    spawn(req) {
      const p = new SpawnedProcess();
      live.add(p);
      p.on('close', () => live.delete(p));
      ready ??= start();
      ready.then((path) => {
        const sock = connect(path);
        sock.once('connect', () => p.attach(sock, req));
        sock.once('error', (e) => p.fail('EPIPE', `the exec helper refused the connection: ${e.message}`));
      }, (e: Error) => p.fail('EPIPE', e.message));
      return p;
    },
    close() {
      for (const p of live) p.kill('SIGKILL');
      helper?.kill('SIGKILL');
      helper = undefined;
      ready = undefined;
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}
