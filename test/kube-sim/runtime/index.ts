/**
 * kube-sim's pod runtime: real local processes behind exec/attach and port-forward, and a real
 * unprivileged OpenSSH sshd per pod (the devenv image's own sshd_config) on a loopback port that
 * stands for the pod's port 2222.
 *
 * Sim-only mapping: paths under /workspace in exec argv, in the image's entrypoint and in sshd_config
 * point at the pod's PVC folder; /tmp points at a per-pod folder. HOME is the PVC folder.
 *
 * Lazy pods (opts.lazy): a devenv pod's processes (the entrypoint, then sshd) start only when
 * something execs, attaches or port-forwards into it, or probes it (an exec/tcp/http readiness
 * probe runs in the pod, so it needs them: the pod is Ready only once sshd really answered). A pod
 * without a readiness probe is Ready once scheduled, as the kubelet makes a probeless container
 * ready when it runs, and costs no process until used: thousands of pods stay cheap. Containers with
 * a command (Jobs, busybox) still run at once: their exit is the pod's state.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ContainerExit, ContainerSpec, PodRuntime, PodRuntimeHost, PodView, ProbeResult, ProbeSpec } from './types';
import { podUser } from './users';
import { createProber } from './prober';
import { createSpawner } from './spawner';
import { unmaskWordwise } from './wordUnmask';

const SSHD = '/usr/sbin/sshd';
/** Output kept per container run (the kubelet keeps the current and the previous run's log). */
const LOG_CAP = 1 << 20;
const PTY_HELPER = join(__dirname, 'ttyexec.py'); // not pty.py: that name would shadow Python's own pty module
const IMAGE_SSHD_CONFIG = join(__dirname, '..', '..', '..', 'manifests', 'image', 'sshd_config');
const HOSTKEY_MOUNT = '/etc/terrarium/hostkey';
const IMAGE_DIR = join(__dirname, '..', '..', '..', 'manifests', 'image');
/** The devenv image's own programs (manifests/image/Dockerfile COPY lines), run from the repo. */
const IMAGE_BINARIES: Record<string, string> = {
  '/usr/local/bin/terrarium-ready': join(IMAGE_DIR, 'ready.sh'),
  '/usr/local/bin/terrarium-entrypoint': join(IMAGE_DIR, 'entrypoint.sh'),
};

interface PodState {
  view: PodView;
  dir: string;
  home: string;
  tmp: string;
  sshd?: ChildProcess;
  sshPort?: number;
  streams: Set<WebSocket>;
  procs: Set<ChildProcess>;
  /** Container output by container name: the current run and the last terminated one. */
  logs: Map<string, { current: string; previous?: string }>;
  /** The entrypoint + sshd start, once per pod (lazy pods: on first use); cleared when it failed so the next use retries. */
  started?: Promise<void>;
  /** stopPod ran: a start still under way must not leave an sshd behind. */
  stopped?: boolean;
}

/** Sim-only env var naming the pod (its uid) in every process started in it: how stopPod finds them all. */
const POD_MARKER = 'KUBE_SIM_POD_UID';
const podMarker = (s: PodState) => ({ [POD_MARKER]: s.view.uid });

/** SIGKILLs every process of this machine whose environment names the pod (processes we may signal). */
export function killMarked(uid: string): number {
  const want = Buffer.from(`${POD_MARKER}=${uid}\0`);
  let killed = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let env: Buffer;
    try { env = readFileSync(`/proc/${pid}/environ`); } catch { continue; }
    if (!env.includes(want)) continue;
    try { process.kill(Number(pid), 'SIGKILL'); killed++; } catch { /* gone, or not ours */ }
  }
  return killed;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

function waitForPort(port: number, timeoutMs: number, proc?: ChildProcess, failed?: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const err = failed?.();
      if (err) return reject(err);
      if (proc && proc.exitCode !== null) return reject(new Error(`sshd exited with code ${proc.exitCode}`));
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => { c.destroy(); resolve(); });
      c.once('error', () => {
        c.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port}`));
        else setTimeout(attempt, 30);
      });
    };
    attempt();
  });
}

/**
 * Sim-only stand-in for the memory cgroup: the resident memory of the container's process group
 * (it is the group leader: spawned detached), sampled every 50 ms from /proc; above the limit the
 * group is killed, as the kernel's OOM killer would kill it at once on a node. A process that
 * allocates and exits within one sample may go unnoticed.
 */
function memoryWatchdog(child: ChildProcess, limitBytes: number, kill: () => void): NodeJS.Timeout {
  const page = 4096;
  const t = setInterval(() => {
    const pgid = child.pid;
    if (!pgid || child.exitCode !== null) return;
    let rss = 0;
    try {
      for (const pid of readdirSync('/proc')) {
        if (!/^\d+$/.test(pid)) continue;
        let stat: string;
        try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
        // Fields after "(comm)": state ppid pgrp ... rss is field 24 (index 21 after the comm).
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(f[2]) === pgid) rss += Number(f[21]) * page;
      }
    } catch { return; }
    if (rss > limitBytes) { clearInterval(t); kill(); }
  }, 50);
  t.unref();
  return t;
}

function chownTree(path: string, uid?: number, gid?: number): void {
  if (uid === undefined || gid === undefined) return;
  chownSync(path, uid, gid);
}

/** The pod's workspace claim: the PVC behind its "workspace" volume (or the first PVC). */
function workspaceClaim(pod: any): string | undefined {
  const vols: any[] = pod.spec?.volumes ?? [];
  const ws = vols.find((v) => v.name === 'workspace' && v.persistentVolumeClaim) ?? vols.find((v) => v.persistentVolumeClaim);
  return ws?.persistentVolumeClaim?.claimName;
}

/**
 * Pods of the devenv image: a workspace mounted at /workspace (or, from older environments, the
 * host-key Secret mount the image no longer reads). They run its entrypoint, then sshd; others
 * keep port 2222 closed.
 */
function runsImageSshd(pod: any): boolean {
  const mounts: any[] = pod.spec?.containers?.[0]?.volumeMounts ?? [];
  return mounts.some((m) => m.mountPath === '/workspace' || m.mountPath === HOSTKEY_MOUNT);
}

export function createPodRuntime(host: PodRuntimeHost, opts: {
  dataDir: string;
  /** the sshd binary (tests point it at a missing one) */ sshd?: string;
  /** Start a devenv pod's processes on first exec/attach/port-forward/probe instead of when it is scheduled. */ lazy?: boolean;
}): PodRuntime {
  const sshdPath = opts.sshd ?? SSHD;
  const pods = new Map<string, PodState>();
  /** Lazy pods scheduled but not started yet: no folder, no process. */
  const idle = new Map<string, PodView>();
  /** Pod uids that ever ran a process (the entrypoint/sshd or a container's command). */
  const ran = new Set<string>();
  const liveSshd = new Set<ChildProcess>();
  const user = podUser();
  const prober = createProber();
  const spawner = createSpawner();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (protocols) => {
      for (const p of ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io', 'portforward.k8s.io']) if (protocols.has(p)) return p;
      return false;
    },
  });
  chmodSync(opts.dataDir, 0o755);

  const key = (ns: string, name: string) => `${ns}/${name}`;

  function mapPath(s: PodState, arg: string): string {
    if (arg === '/workspace' || arg.startsWith('/workspace/')) return s.home + arg.slice('/workspace'.length);
    return arg.replace(/(^|[\s=:'"])\/workspace(?=[/\s'"]|$)/g, `$1${s.home}`);
  }

  function ensureState(view: PodView): PodState {
    const k = key(view.namespace, view.name);
    let s = pods.get(k);
    if (s && s.view.uid === view.uid) return s;
    const dir = join(opts.dataDir, 'pods', view.namespace, `${view.name}-${view.uid.slice(0, 8)}`);
    const claim = workspaceClaim(view.object);
    const home = claim ? host.pvcDir(view.namespace, claim) : join(dir, 'home');
    const tmp = join(dir, 'tmp');
    for (const d of [join(opts.dataDir, 'pods'), join(opts.dataDir, 'pods', view.namespace), join(opts.dataDir, 'pvcs'), join(opts.dataDir, 'pvcs', view.namespace)]) {
      mkdirSync(d, { recursive: true });
      chmodSync(d, 0o755);
    }
    for (const d of [dir, home, tmp]) {
      mkdirSync(d, { recursive: true });
      chownTree(d, user.uid, user.gid);
    }
    chmodSync(tmp, 0o700);
    s = { view, dir, home, tmp, streams: new Set(), procs: new Set(), logs: new Map() };
    pods.set(k, s);
    idle.delete(k);
    return s;
  }

  /** The pod's entrypoint and sshd, started once (a failed start is tried again on the next use). */
  function activate(view: PodView): Promise<PodState> {
    const s = ensureState(view);
    if (!s.started) {
      ran.add(view.uid);
      const p = startSshd(s);
      s.started = p;
      p.catch(() => { if (s.started === p) s.started = undefined; });
    }
    return s.started.then(() => s);
  }

  /** A lazy pod's state for a stream, its processes started first (or already starting). */
  function podFor(view: PodView): Promise<PodState> {
    const s = pods.get(key(view.namespace, view.name));
    if (s && s.view.uid === view.uid && s.started) return s.started.then(() => s);
    return activate(view);
  }

  /**
   * A command as the pod would run it: /workspace mapped to the pod's volume, the image's programs
   * from the repo. Sim-only: `terrarium-ready` without a port probes the loopback port that stands
   * for the pod's 2222.
   */
  function podArgv(s: PodState, argv: string[]): string[] {
    const out = argv.map((a) => mapPath(s, a));
    const image = IMAGE_BINARIES[out[0] ?? ''];
    if (!image) return out;
    if (argv[0] === '/usr/local/bin/terrarium-ready' && out.length === 1 && s.sshPort) return [image, String(s.sshPort)];
    return [image, ...out.slice(1)];
  }

  /** The loopback port that stands for a pod port: 2222 is the pod's sshd; other ports are the host's (pods share its network). */
  function podPort(s: PodState, port: number | string): number | undefined {
    let n = typeof port === 'number' ? port : Number(port);
    if (!Number.isInteger(n)) {
      const named = (s.view.object.spec?.containers ?? []).flatMap((c: any) => c.ports ?? []).find((p: any) => p.name === port);
      n = named?.containerPort;
    }
    if (!n) return undefined;
    return n === 2222 ? s.sshPort : n;
  }

  /** One readiness probe run (exec, tcpSocket, httpGet), as the kubelet's prober: success, or failure with its output. */
  async function probe(view: PodView, p: ProbeSpec, timeoutMs: number): Promise<ProbeResult> {
    const k = key(view.namespace, view.name);
    // A lazy pod's probe runs in it: its processes start now (a start failure is the probe's failure).
    if (idle.get(k)?.uid === view.uid) {
      try { await activate(view); } catch (e) { return { ok: false, output: (e as Error).message }; }
    }
    const s = pods.get(k);
    if (!s || s.view.uid !== view.uid) return { ok: false, output: 'container not running' };
    if (s.started) { try { await s.started; } catch (e) { return { ok: false, output: (e as Error).message }; } }
    return runProbe(s, p, timeoutMs);
  }

  function runProbe(s: PodState, p: ProbeSpec, timeoutMs: number): Promise<ProbeResult> {
    if (p.exec) {
      const argv = podArgv(s, p.exec.command ?? []);
      if (!argv.length) return Promise.resolve({ ok: false, output: 'no command' });
      // Through the probe helper (prober.ts: no fork of this process per probe).
      return prober.run({ argv, cwd: s.home, env: podEnv(s, false), uid: user.uid, gid: user.gid, timeoutMs }).then((r) =>
        'timedOut' in r ? { ok: false, output: `command timed out after ${timeoutMs / 1000}s` } // the kubelet's words
          : 'error' in r ? { ok: false, output: r.error }
            : { ok: r.code === 0, output: r.out });
    }
    if (p.tcpSocket) {
      const port = podPort(s, p.tcpSocket.port);
      if (!port) return Promise.resolve({ ok: false, output: `dial tcp 127.0.0.1:${p.tcpSocket.port}: connect: connection refused` });
      return new Promise((resolve) => {
        const c = connect(port, '127.0.0.1');
        const done = (r: ProbeResult) => { clearTimeout(timer); c.destroy(); resolve(r); };
        const timer = setTimeout(() => done({ ok: false, output: `dial tcp 127.0.0.1:${p.tcpSocket!.port}: i/o timeout` }), timeoutMs);
        c.on('connect', () => done({ ok: true }));
        c.on('error', () => done({ ok: false, output: `dial tcp 127.0.0.1:${p.tcpSocket!.port}: connect: connection refused` }));
      });
    }
    if (p.httpGet) {
      const port = podPort(s, p.httpGet.port);
      if (!port) return Promise.resolve({ ok: false, output: 'connection refused' });
      return new Promise((resolve) => {
        const req = httpGet({ host: '127.0.0.1', port, path: p.httpGet!.path ?? '/', timeout: timeoutMs, headers: { 'user-agent': 'kube-probe/1.32' } }, (res) => {
          res.resume();
          // pkg/probe/http: 200 <= code < 400 is success.
          const code = res.statusCode ?? 0;
          resolve({ ok: code >= 200 && code < 400, output: `HTTP probe failed with statuscode: ${code}` });
        });
        req.on('timeout', () => { req.destroy(); resolve({ ok: false, output: 'context deadline exceeded' }); });
        const target = `http://127.0.0.1:${p.httpGet!.port}${p.httpGet!.path ?? '/'}`;
        req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false,
          output: e.code === 'ECONNREFUSED' ? `Get "${target}": dial tcp 127.0.0.1:${p.httpGet!.port}: connect: connection refused` : `Get "${target}": ${e.message}` }));
      });
    }
    return Promise.resolve({ ok: true });
  }

  function podEnv(s: PodState, tty: boolean): NodeJS.ProcessEnv {
    return {
      PATH: '/usr/local/bin:/usr/bin:/bin', HOME: s.home, USER: 'dev', LANG: 'C.UTF-8', TMUX_TMPDIR: s.tmp, TMPDIR: s.tmp,
      HOSTNAME: s.view.name, TERRARIUM_SANDBOX: s.view.name, ...podMarker(s),
      // Sim-only: where this pod's sshd really listens (its port 2222), for relays started by exec.
      ...(s.sshPort ? { TERRARIUM_SIM_SSH_PORT: String(s.sshPort) } : {}), ...(tty ? { TERM: 'xterm-256color' } : {}),
    };
  }

  /**
   * The image's entrypoint (manifests/image/entrypoint.sh) as the pod user, /workspace mapped to
   * the pod's volume, up to its `exec sshd` (which startSshd then runs with the sim's mappings): it
   * prepares the workspace and makes the sandbox's host key there on a new volume.
   */
  function runEntrypoint(s: PodState): Promise<void> {
    const script = readFileSync(IMAGE_BINARIES['/usr/local/bin/terrarium-entrypoint']!, 'utf8')
      .replaceAll('/workspace', s.home)
      .replace(/^exec \/usr\/sbin\/sshd .*$/m, 'exit 0');
    return new Promise((resolve, reject) => {
      let err = '';
      let child: ChildProcess;
      try {
        child = spawn('/bin/sh', ['-c', script, 'terrarium-entrypoint'], { cwd: s.home, env: podEnv(s, false), uid: user.uid, gid: user.gid, stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        reject(e);
        return;
      }
      child.stderr?.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`the image's entrypoint exited with ${code}: ${err.trim()}`))));
    });
  }

  async function startSshd(s: PodState): Promise<void> {
    if (!runsImageSshd(s.view.object)) return; // not the devenv image: port 2222 stays closed
    await runEntrypoint(s);
    const deleted = () => new Error(`pod ${s.view.namespace}/${s.view.name} was deleted while it started`);
    if (s.stopped) throw deleted();
    if (!existsSync(sshdPath)) throw new Error(`exec: "${sshdPath}": stat ${sshdPath}: no such file or directory`);
    const port = await freePort();
    let config = readFileSync(IMAGE_SSHD_CONFIG, 'utf8')
      .replace(/^Port .*/m, `Port ${port}`)
      .replace(/^ListenAddress .*/m, 'ListenAddress 127.0.0.1')
      .replaceAll('/workspace', s.home)
      .replace(/^PidFile .*/m, `PidFile ${join(s.tmp, 'sshd.pid')}`)
      .replace(/^AllowUsers .*/m, '');
    // Sim-only: the data folder lives under a world-writable /tmp, which StrictModes refuses; the
    // sshd's user is not "dev" but the local pod user; HOME and tmux's socket folder follow the pod.
    // The pod user's passwd home is shared by every pod, so sshd would start sessions outside this
    // pod's workspace: a ForceCommand wrapper starts every session (shell, command, sftp for scp)
    // in it, as the image does with HOME=/workspace.
    const session = join(s.dir, 'session.sh');
    writeFileSync(session, [
      '#!/bin/sh', 'cd "$HOME" 2>/dev/null || exit 1', 'case "$SSH_ORIGINAL_COMMAND" in',
      '  "") exec /bin/bash -l ;;', '  internal-sftp*) exec /usr/lib/openssh/sftp-server ;;', '  *) exec /bin/bash -c "$SSH_ORIGINAL_COMMAND" ;;', 'esac', '',
    ].join('\n'), { mode: 0o755 });
    config += `\nStrictModes no\nSetEnv HOME=${s.home} TMUX_TMPDIR=${s.tmp} TERRARIUM_SANDBOX=${s.view.name} ${POD_MARKER}=${s.view.uid}\nForceCommand ${session}\n`;
    const cfgFile = join(s.dir, 'sshd_config');
    writeFileSync(cfgFile, config);
    killGroup(s.sshd); // a retry after a failed start
    // A missing binary is an 'error' event, not a throw: without a listener it would take the
    // whole process (the API server) down. It becomes the pod's start failure instead.
    let spawnError: Error | undefined;
    const sshd = spawn(sshdPath, ['-D', '-e', '-f', cfgFile], { uid: user.uid, gid: user.gid, stdio: ['ignore', 'ignore', 'pipe'], detached: true, env: { PATH: '/usr/bin:/bin' } });
    sshd.on('error', (e) => { spawnError = e; });
    // Every sshd is known until it exits, so close() can end them all: a leftover child would keep
    // the test process (and its event loop) alive after everything else stopped.
    liveSshd.add(sshd);
    sshd.on('exit', () => liveSshd.delete(sshd));
    if (s.stopped) { killGroup(sshd); throw deleted(); }
    let log = '';
    sshd.stderr?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
    s.sshd = sshd;
    s.sshPort = port;
    try {
      await waitForPort(port, 10_000, sshd, () => spawnError);
    } catch (e) {
      if (spawnError) throw new Error(`exec: "${sshdPath}": stat ${sshdPath}: no such file or directory`, { cause: e });
      throw new Error(`sshd did not start: ${(e as Error).message}. ${log.trim()}`, { cause: e });
    }
  }

  function killGroup(p: ChildProcess | undefined): void {
    if (!p?.pid || p.exitCode !== null) return;
    try { process.kill(-p.pid, 'SIGKILL'); } catch { try { p.kill('SIGKILL'); } catch {} }
  }

  function send(ws: WebSocket, channel: number, data: Buffer | string): void {
    if (ws.readyState !== ws.OPEN) return;
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    ws.send(Buffer.concat([Buffer.from([channel]), payload]));
  }

  function exec(s: PodState, ws: WebSocket, q: URLSearchParams): void {
    const argv = podArgv(s, q.getAll('command'));
    const tty = q.get('tty') === 'true' || q.get('tty') === '1';
    const wantStdin = q.get('stdin') === 'true' || q.get('stdin') === '1';
    const v5 = ws.protocol === 'v5.channel.k8s.io';
    let status: object | undefined;
    if (!argv.length) {
      send(ws, 3, JSON.stringify({ metadata: {}, status: 'Failure', message: 'you must specify at least one command for the container', reason: 'BadRequest', code: 400 }));
      ws.close(1000);
      return;
    }
    const [cmd, args] = tty ? ['python3', [PTY_HELPER, ...argv]] : [argv[0]!, argv.slice(1)];
    let child: ChildProcess;
    try {
      // Without a tty through the exec helper (spawner.ts: no fork of this process, which is the API server's event loop).
      child = tty
        ? spawn(cmd, args, { cwd: s.home, env: podEnv(s, tty), uid: user.uid, gid: user.gid, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
        : spawner.spawn({ argv: [cmd, ...args], cwd: s.home, env: podEnv(s, tty), uid: user.uid, gid: user.gid }) as unknown as ChildProcess;
    } catch (e) {
      // A synchronous spawn failure (bad uid, bad argument) ends this stream, never the sim.
      send(ws, 3, JSON.stringify({ metadata: {}, status: 'Failure', message: `failed to exec in container: ${(e as Error).message}`, reason: 'InternalError', code: 500 }));
      ws.close(1000);
      return;
    }
    s.procs.add(child);
    s.streams.add(ws);
    child.stdout!.on('data', (d: Buffer) => send(ws, 1, d));
    child.stderr!.on('data', (d: Buffer) => send(ws, tty ? 1 : 2, d));
    child.stdin!.on('error', () => {});
    (child.stdio[3] as NodeJS.WritableStream | null)?.on?.('error', () => {});
    if (!wantStdin) child.stdin!.end();
    const finish = (code: number | null, signal: NodeJS.Signals | null, err?: Error) => {
      if (status) return;
      const exit = code ?? (signal ? 128 + 9 : 1);
      status = err
        ? { metadata: {}, status: 'Failure', message: `failed to exec in container: exec: "${argv[0]}": executable file not found in $PATH`, reason: 'InternalError', code: 500 }
        : exit === 0 ? { metadata: {}, status: 'Success' }
          : { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${exit}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(exit) }] } };
      send(ws, 3, JSON.stringify(status));
      if (ws.readyState === ws.OPEN) ws.close(1000);
    };
    let outEnded = !child.stdout, errEnded = !child.stderr;
    let exited: [number | null, NodeJS.Signals | null] | undefined;
    const maybeFinish = () => { if (exited && outEnded && errEnded) finish(exited[0], exited[1]); };
    child.stdout!.on('end', () => { outEnded = true; maybeFinish(); });
    child.stderr!.on('end', () => { errEnded = true; maybeFinish(); });
    child.on('exit', (code, signal) => { exited = [code, signal]; s.procs.delete(child); maybeFinish(); setTimeout(() => finish(code, signal), 500); });
    child.on('error', (e) => finish(127, null, e));
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      const buf = isBinary ? raw : Buffer.from(raw.toString(), 'utf8');
      if (!buf.length) return;
      const ch = buf[0]!;
      const data = buf.subarray(1);
      if (ch === 0 && wantStdin) child.stdin!.write(data);
      else if (ch === 4 && tty) {
        try {
          const size = JSON.parse(data.toString());
          const cols = size.Width ?? size.width, rows = size.Height ?? size.height;
          if (cols && rows) (child.stdio[3] as NodeJS.WritableStream | null)?.write(`${cols} ${rows}\n`);
        } catch {}
      } else if (ch === 255 && v5 && data[0] === 0) child.stdin!.end();
    });
    ws.on('close', () => {
      s.streams.delete(ws);
      // The stream is gone: its process goes too (a tmux server it started lives on: it setsid()s).
      if (!status) killGroup(child);
    });
  }

  function portForward(s: PodState, ws: WebSocket, q: URLSearchParams): void {
    const ports = (q.getAll('ports').join(',') || '').split(',').filter(Boolean).map(Number);
    s.streams.add(ws);
    const sockets: (Socket | undefined)[] = [];
    ports.forEach((port, i) => {
      const data = 2 * i, error = 2 * i + 1;
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(port);
      send(ws, data, prefix);
      send(ws, error, prefix);
      // Other ports: the pod's own loopback listeners, which in the sim are the host's (pods share
      // its network; e.g. a VS Code server bound to 127.0.0.1 in the pod). A closed port is refused below.
      const target = podPort(s, port);
      if (!target) {
        send(ws, error, `error forwarding port ${port} to pod ${s.view.name}, uid ${s.view.uid}: failed to execute portforward in network namespace: dial tcp4 127.0.0.1:${port}: connect: connection refused`);
        setTimeout(() => ws.close(1000), 20);
        return;
      }
      const sock = connect(target, '127.0.0.1');
      sockets[i] = sock;
      sock.on('data', (d: Buffer) => {
        send(ws, data, d);
        // Backpressure: stop reading the pod while the WebSocket is behind.
        if (ws.bufferedAmount > 4 * 1024 * 1024) {
          sock.pause();
          const resume = () => (ws.bufferedAmount < 1024 * 1024 ? sock.resume() : setTimeout(resume, 5));
          setTimeout(resume, 5);
        }
      });
      sock.on('error', (e: NodeJS.ErrnoException) => send(ws, error, e.code === 'ECONNREFUSED'
        ? `error forwarding port ${port} to pod ${s.view.name}, uid ${s.view.uid}: failed to execute portforward in network namespace: dial tcp4 127.0.0.1:${port}: connect: connection refused`
        : `error forwarding port ${port}: ${e.message}`));
      sock.on('close', () => { if (ws.readyState === ws.OPEN) ws.close(1000); });
    });
    ws.on('message', (raw: Buffer) => {
      if (!raw.length) return;
      const ch = raw[0]!;
      const i = Math.floor(ch / 2);
      if (ch % 2 !== 0) return;
      const sock = sockets[i];
      if (!sock) return;
      const payload = raw.subarray(1);
      if (!sock.write(payload)) {
        // Backpressure the other way: pause the WebSocket's socket until the pod catches up.
        const raw_ = (ws as any)._socket as Socket | undefined;
        raw_?.pause();
        sock.once('drain', () => raw_?.resume());
      }
    });
    ws.on('close', () => { s.streams.delete(ws); for (const sock of sockets) sock?.destroy(); });
  }

  function runContainer(view: PodView, c: ContainerSpec, exited: (e: ContainerExit) => void): Promise<void> {
    const s = ensureState(view);
    ran.add(view.uid);
    const prev = s.logs.get(c.name);
    const log = { current: '', previous: prev ? prev.current : undefined };
    s.logs.set(c.name, log);
    const argv = podArgv(s, [...c.command, ...c.args]);
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        // The container's own env (literal values) over the pod's; its workingDir with /workspace mapped.
        child = spawn(argv[0]!, argv.slice(1), { cwd: c.workingDir ? mapPath(s, c.workingDir) : s.home, env: { ...podEnv(s, false), ...mappedEnv(s, c.env) },
          uid: user.uid, gid: user.gid, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        reject(e);
        return;
      }
      let started = false;
      const keep = (d: Buffer) => { log.current = (log.current + d.toString()).slice(-LOG_CAP); };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      let oom = false;
      const watchdog = c.memoryLimitBytes ? memoryWatchdog(child, c.memoryLimitBytes, () => { oom = true; killGroup(child); }) : undefined;
      child.on('spawn', () => { started = true; s.procs.add(child); resolve(); });
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (started) return;
        // containerd's words for a command that is not there.
        reject(new Error(e.code === 'ENOENT' ? `exec: "${c.command[0]}": executable file not found in $PATH` : e.message));
      });
      child.on('close', (code, signal) => {
        s.procs.delete(child);
        if (watchdog) clearInterval(watchdog);
        if (!started) return;
        if (!pods.has(key(view.namespace, view.name))) return; // the pod was stopped: no restart to report
        // The kernel's OOM killer SIGKILLs; the kubelet reports reason OOMKilled, exit code 137.
        if (oom) { exited({ exitCode: 137, reason: 'OOMKilled' }); return; }
        exited({ exitCode: code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : 1) });
      });
    });
  }

  /** Literal env values with /workspace mapped (a path like HOME=/workspace must point at the pod's folder). */
  function mappedEnv(s: PodState, env: Record<string, string> | undefined): Record<string, string> {
    return Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, mapPath(s, v)]));
  }

  return {
    async startPod(view) {
      if (opts.lazy && runsImageSshd(view.object)) { idle.set(key(view.namespace, view.name), view); return; }
      await activate(view);
    },
    runContainer,
    probe,
    logs(namespace, name, container, previous) {
      const l = pods.get(key(namespace, name))?.logs.get(container);
      return previous ? l?.previous : l?.current;
    },
    async stopPod(namespace, name) {
      idle.delete(key(namespace, name));
      const s = pods.get(key(namespace, name));
      if (!s) return;
      s.stopped = true;
      pods.delete(key(namespace, name));
      for (const ws of s.streams) ws.terminate();
      for (const p of s.procs) killGroup(p);
      killGroup(s.sshd);
      // The pod's tmux server dies with it, as it would in a real pod.
      await new Promise<void>((resolve) => {
        const k = spawn('tmux', ['kill-server'], { env: podEnv(s, false), uid: user.uid, gid: user.gid, stdio: 'ignore' });
        k.on('exit', () => resolve());
        k.on('error', () => resolve());
      });
      // Whatever left the process groups above (setsid, nohup &, a daemon) dies too: a real pod's
      // processes all end with its PID namespace. They carry the pod's marker in their environment.
      killMarked(s.view.uid);
      killGroup(s.sshd); // started while the await above ran
      rmSync(s.dir, { recursive: true, force: true });
    },
    handleUpgrade(kind, req, socket, head, pod, query) {
      // A client that vanishes mid-stream (ECONNRESET) is normal; never let it take the sim down.
      socket.on('error', () => {});
      const upgrade = (s: PodState) => wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => ws.terminate());
        unmaskWordwise(ws);
        if (kind === 'portforward') portForward(s, ws, query);
        else exec(s, ws, query);
      });
      if (!opts.lazy) { upgrade(pods.get(key(pod.namespace, pod.name)) ?? ensureState(pod)); return; }
      // A lazy pod starts its processes first; the kubelet answers a container that cannot run with
      // an error before the upgrade (kubectl prints "error: unable to upgrade connection: ...").
      podFor(pod).then((s) => { if (!socket.destroyed) upgrade(s); }, (e: Error) => {
        const bodyText = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `container not running: ${e.message}`, reason: 'InternalError', code: 500 });
        socket.end(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(bodyText)}\r\n\r\n${bodyText}`);
      });
    },
    stats() {
      let running = 0;
      for (const s of pods.values()) if (s.sshd?.exitCode === null || s.procs.size) running++;
      return { podsKnown: pods.size + idle.size, podsStarted: ran.size, podsRunningProcesses: running };
    },
    dropStreams() {
      for (const s of pods.values()) for (const ws of s.streams) ws.terminate();
    },
    async close() {
      await Promise.all([...pods.keys()].map((k) => { const [ns, n] = k.split('/') as [string, string]; return this.stopPod(ns, n); }));
      for (const p of liveSshd) killGroup(p);
      wss.close();
      prober.close();
      spawner.close();
    },
  };
}

