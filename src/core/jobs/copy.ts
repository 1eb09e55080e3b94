/**
 * Files into and out of a Job sandbox: a file as its bytes (cat), a directory as a tar stream, both
 * over exec with backpressure (workspace/execStream.ts, the backup/restore stream). Each copy is
 * checked end to end: the sha256 of every file on this side against `sha256sum` of the same files
 * in the pod; a difference is an error naming the files. Commands in the pod are constant scripts
 * that get the paths as "$1" (never parsed by a shell); locally `tar` runs with an argv array.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Cluster } from '../kube/cluster';
import { TerrariumError } from '../kube/errors';
import { terminalSafe } from '../text/terminalSafe';
import { hasControlChars } from '../text/controlChars';
import { fileSha256 } from '../workspace/backup';
import { streamExec } from '../workspace/execStream';
import { execStreaming } from './exec';
import { JOB_CONTAINER, JOB_WORKDIR } from './names';

export interface CopyResult {
  files: number;
  bytes: number;
  /** sha256 of each file, by path relative to the copied directory ('' for a single file). */
  sha256: Record<string, string>;
}

/** A path in the pod: absolute, or relative to /workspace; no control characters, no leading '-'. */
export function remotePath(p: string): string {
  if (typeof p !== 'string' || !p || hasControlChars(p) || p.length > 4096) {
    throw new TerrariumError('InvalidInput', `${JSON.stringify(String(p).slice(0, 60))} is not a path in the Job sandbox.`, 'Give a path like /workspace/src or src (relative to /workspace).');
  }
  return p.startsWith('/') ? p : `${JOB_WORKDIR}/${p.replace(/^\.\//, '')}`;
}

/** "LOCAL:REMOTE" (--cp-in); the last ':' splits, so Windows drive letters stay with LOCAL. */
export function parseCopySpec(text: string): { local: string; remote: string } {
  const i = String(text).lastIndexOf(':');
  if (i <= 0 || i === text.length - 1) {
    throw new TerrariumError('InvalidInput', `--cp-in ${JSON.stringify(String(text).slice(0, 80))} is not LOCAL:REMOTE.`, 'For example --cp-in ./src:/workspace/src.');
  }
  return { local: text.slice(0, i), remote: remotePath(text.slice(i + 1)) };
}

const HASH_SCRIPT = 'if [ -d "$1" ]; then cd "$1" && find . -type f -exec sha256sum {} +; else sha256sum "$1"; fi';
const KIND_SCRIPT = 'if [ -d "$1" ]; then echo dir; elif [ -f "$1" ]; then echo file; else echo none; fi';

/** Runs a constant script with the path as $1; its stdout as text. */
async function podScript(cluster: Cluster, pod: string, script: string, path: string, signal?: AbortSignal): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  const sink = (add: (s: string) => void) => new Writable({ write(c: Buffer, _e, cb) { add(c.toString('utf8')); cb(); } });
  const r = await execStreaming(cluster, pod, ['/bin/sh', '-c', script, 'terrarium', path], {
    stdout: sink((s) => { if (stdout.length < 16 * 1024 * 1024) stdout += s; }), stderr: sink((s) => { stderr = (stderr + s).slice(-4096); }), signal,
  });
  return { exitCode: r.exitCode, stdout, stderr };
}

/** sha256sum's lines ("HEX  ./path") by path without the leading "./" ('' for a single file). */
function parseSums(text: string, single: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\\?([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (m) out[single ? '' : m[2]!.replace(/^\.\//, '')] = m[1]!;
  }
  return out;
}

async function localFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(root);
  return out.sort();
}

async function localSums(path: string, isDir: boolean, signal?: AbortSignal): Promise<{ sums: Record<string, string>; bytes: number }> {
  const sums: Record<string, string> = {};
  let bytes = 0;
  for (const f of isDir ? await localFiles(path) : [path]) {
    const d = await fileSha256(f, signal);
    sums[isDir ? relative(path, f).split(sep).join('/') : ''] = d.sha256;
    bytes += d.bytes;
  }
  return { sums, bytes };
}

function compare(local: Record<string, string>, remote: Record<string, string>, what: string): void {
  const names = [...new Set([...Object.keys(local), ...Object.keys(remote)])];
  const bad = names.filter((n) => local[n] !== remote[n]);
  if (bad.length) {
    const shown = bad.slice(0, 5).map((n) => terminalSafe(n || '(the file)')).join(', ');
    throw new TerrariumError('ServerError', `${what}: the sha256 of ${bad.length} file${bad.length > 1 ? 's' : ''} differs between here and the Job sandbox (${shown}${bad.length > 5 ? ', ...' : ''}).`,
      'Copy again; if it keeps differing, check free space in the sandbox (/workspace) and on this machine.');
  }
}

function localTar(args: string[]): { proc: ReturnType<typeof spawn>; stderr: () => string; done: Promise<number> } {
  let err = '';
  const proc = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4096); });
  const done = new Promise<number>((res, rej) => {
    proc.on('error', (e: NodeJS.ErrnoException) => rej(new TerrariumError('InvalidInput', e.code === 'ENOENT' ? 'tar is not installed on this machine; copying a directory needs it.' : `tar failed: ${e.message}`, 'Install tar (it comes with Linux, macOS and Windows 10+).')));
    proc.on('close', (code) => res(code ?? 1));
  });
  return { proc, stderr: () => err, done };
}

/** Copies a local file or directory to `remote` in the pod (a directory becomes `remote` with its contents). */
export async function copyIn(cluster: Cluster, pod: string, local: string, remote: string, signal?: AbortSignal): Promise<CopyResult> {
  const dest = remotePath(remote);
  const src = resolve(local);
  let st;
  try { st = await fsp.stat(src); } catch (e) {
    throw new TerrariumError('InvalidInput', `Cannot read ${local}: ${(e as Error).message}.`, 'Give a file or directory that exists on this machine.', { cause: e });
  }
  const isDir = st.isDirectory();
  if (!isDir && !st.isFile()) throw new TerrariumError('InvalidInput', `${local} is neither a file nor a directory.`, 'Copy regular files or directories.');
  let r;
  if (isDir) {
    const tar = localTar(['-C', src, '-cf', '-', '.']);
    r = await streamExec(cluster, pod, ['/bin/sh', '-c', 'mkdir -p "$1" && tar -C "$1" -xf -', 'terrarium', dest], { container: JOB_CONTAINER, stdin: tar.proc.stdout!.pipe(new PassThrough({ highWaterMark: 256 * 1024 })), signal });
    const code = await tar.done;
    if (code !== 0) throw new TerrariumError('InvalidInput', `tar could not read ${local} (exit ${code}): ${terminalSafe(tar.stderr().trim())}.`, 'Check the files\' permissions.');
  } else {
    const body = createReadStream(src).pipe(new PassThrough({ highWaterMark: 256 * 1024 }));
    r = await streamExec(cluster, pod, ['/bin/sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'terrarium', dest], { container: JOB_CONTAINER, stdin: body, signal });
  }
  if (r.exitCode !== 0) {
    throw new TerrariumError('ServerError', `Writing ${terminalSafe(dest)} in the Job sandbox failed (exit ${r.exitCode}): ${terminalSafe(r.stderr.trim().slice(-400))}.`,
      'Check that the path is under /workspace or /tmp (the rest of the filesystem is read-only) and that there is space.');
  }
  const mine = await localSums(src, isDir, signal);
  const theirs = await podScript(cluster, pod, HASH_SCRIPT, dest, signal);
  compare(mine.sums, parseSums(theirs.stdout, !isDir), `Copying ${local} to ${dest}`);
  return { files: Object.keys(mine.sums).length, bytes: mine.bytes, sha256: mine.sums };
}

/** Copies `remote` (a file or directory in the pod) to `local` on this machine. */
export async function copyOut(cluster: Cluster, pod: string, remote: string, local: string, signal?: AbortSignal): Promise<CopyResult> {
  const src = remotePath(remote);
  const dest = resolve(local);
  const kind = (await podScript(cluster, pod, KIND_SCRIPT, src, signal)).stdout.trim();
  if (kind !== 'dir' && kind !== 'file') throw new TerrariumError('NotFound', `${terminalSafe(src)} does not exist in the Job sandbox.`, 'Check the path (relative paths are under /workspace).');
  const isDir = kind === 'dir';
  if (isDir) {
    await fsp.mkdir(dest, { recursive: true });
    // GNU/BSD tar refuse absolute names and ".." members by default; ownership stays ours.
    const tar = localTar(['-C', dest, '--no-same-owner', '-xf', '-']);
    const r = await streamExec(cluster, pod, ['/bin/sh', '-c', 'tar -C "$1" -cf - .', 'terrarium', src], { container: JOB_CONTAINER, stdout: tar.proc.stdin!, signal });
    tar.proc.stdin!.end();
    const code = await tar.done;
    if (r.exitCode !== 0) throw new TerrariumError('ServerError', `Reading ${terminalSafe(src)} in the Job sandbox failed (tar exit ${r.exitCode}): ${terminalSafe(r.stderr.trim().slice(-400))}.`, 'Check the path and its permissions.');
    if (code !== 0) throw new TerrariumError('InvalidInput', `tar could not write into ${local} (exit ${code}): ${terminalSafe(tar.stderr().trim())}.`, 'Check that the directory is writable.');
  } else {
    await fsp.mkdir(dirname(dest), { recursive: true });
    const temp = join(dirname(dest), `.${basename(dest)}.partial`);
    const out = createWriteStream(temp, { mode: 0o600 });
    try {
      const r = await streamExec(cluster, pod, ['cat', '--', src], { container: JOB_CONTAINER, stdout: out, signal });
      out.end();
      await finished(out);
      if (r.exitCode !== 0) throw new TerrariumError('ServerError', `Reading ${terminalSafe(src)} in the Job sandbox failed (exit ${r.exitCode}): ${terminalSafe(r.stderr.trim().slice(-400))}.`, 'Check the path and its permissions.');
      await fsp.rename(temp, dest);
    } catch (e) {
      out.destroy();
      await fsp.rm(temp, { force: true }).catch(() => {});
      throw e;
    }
  }
  const mine = await localSums(dest, isDir, signal);
  const theirs = await podScript(cluster, pod, HASH_SCRIPT, src, signal);
  compare(mine.sums, parseSums(theirs.stdout, !isDir), `Copying ${src} to ${local}`);
  return { files: Object.keys(mine.sums).length, bytes: mine.bytes, sha256: mine.sums };
}
