/**
 * Workspace backup and restore: a gzipped tar of the sandbox's workspace streamed over exec, never
 * held in memory, with its sha256 computed on the way. A backup file gets a sidecar `FILE.sha256`
 * in sha256sum's format (`sha256sum -c FILE.sha256` checks it too); restore compares the file
 * with it before a single byte reaches the sandbox, and refuses a sandbox someone else holds.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PassThrough, Transform, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { Cluster } from '../kube/cluster';
import { isTerrariumError, TerrariumError } from '../kube/errors';
import { audited } from '../audit/auditor';
import { kubeOp, OPS } from '../kube/ops';
import { currentIdentity } from '../kube/identity';
import { ANNOTATION_CLAIMED_BY, SANDBOX_CONTAINER, WORKSPACE_MOUNT } from '../devenv/names';
import { validateSandboxName } from '../devenv/validate';
import { terminalSafe } from '../text/terminalSafe';
import { streamExec } from './execStream';

// The sandbox's host key lives on its workspace (manifests/image/entrypoint.sh) but is the
// sandbox's identity, not its contents: never archived, and never overwritten by a restore (an
// older archive that has one would give the sandbox another sandbox's key).
const NOT_HOST_KEY = '--exclude=.terrarium/ssh_host_ed25519_key*';
// Constant argv: nothing from the user reaches the command line in the pod.
export const BACKUP_ARGV: readonly string[] = ['tar', '-C', WORKSPACE_MOUNT, NOT_HOST_KEY, '-czf', '-', '.'];
// authorized_keys belongs to the claim (a new holder's key replaces it): a restore leaves it as it is.
const NOT_AUTHORIZED_KEYS = '--exclude=./.ssh/authorized_keys';
// -p keeps the archived modes exactly (a non-root tar would apply its umask otherwise).
export const RESTORE_ARGV: readonly string[] = ['tar', '-C', WORKSPACE_MOUNT, NOT_HOST_KEY, NOT_AUTHORIZED_KEYS, '-xzpf', '-'];

export interface WorkspaceStreamOptions {
  signal?: AbortSignal;
  /** Archive bytes moved so far; called as they stream. */
  onProgress?(bytes: number): void;
}

export interface BackupResult {
  bytes: number;
  sha256: string;
  /** tar's notes on a workspace that changed while it was read (exit 1: the archive is still usable). */
  warnings?: string[];
}

export interface RestoreOptions extends WorkspaceStreamOptions {
  /** The expected sha256 (hex); default: read from FILE.sha256. */
  sha256?: string;
}

export interface RestoreResult { bytes: number; sha256: string }

/** The sidecar path for a backup file. */
export const sidecarPath = (file: string): string => `${file}.sha256`;

/** One line in sha256sum's format, so `sha256sum -c` checks it too. */
export const sidecarText = (sha256: string, file: string): string => `${sha256}  ${basename(file)}\n`;

/** The hex digest at the start of a sidecar (sha256sum's format, or the bare hex). */
export function parseSidecar(text: string): string | undefined {
  const m = /^\s*([0-9a-fA-F]{64})(\s|$)/.exec(text);
  return m ? m[1]!.toLowerCase() : undefined;
}

const workspaceOf = (sandbox: string) => `workspace-${sandbox}`;

async function readPod(cluster: Cluster, sandbox: string, signal?: AbortSignal): Promise<V1Pod> {
  try {
    return await kubeOp(cluster, OPS.readPod, { name: sandbox },
      (o) => cluster.core.readNamespacedPod({ name: sandbox, namespace: cluster.namespace }, o), { signal });
  } catch (e) {
    if (!isTerrariumError(e, 'NotFound')) throw e;
    throw new TerrariumError('NotFound', `Sandbox ${sandbox} has no running pod in namespace ${cluster.namespace}: it is stopped or does not exist.`,
      'Start its environment (terrarium env start ENV) and try again; `terrarium sandbox list` shows the sandboxes.', { status: 404, cause: e });
  }
}

function containerOf(pod: V1Pod): string {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  return names.includes(SANDBOX_CONTAINER) ? SANDBOX_CONTAINER : names[0] ?? SANDBOX_CONTAINER;
}

/** Passes bytes through, hashing and counting them. */
function hashingTap(onBytes?: (bytes: number) => void): { tap: Transform; digest(): { bytes: number; sha256: string } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
      cb(null, chunk);
    },
  });
  return { tap, digest: () => ({ bytes, sha256: hash.digest('hex') }) };
}

function tarFailure(sandbox: string, what: string, exitCode: number, stderr: string): TerrariumError {
  const detail = terminalSafe(stderr.trim().split('\n').slice(-5).join(' ').slice(0, 400));
  return new TerrariumError('ServerError', `${what} in ${sandbox} failed (tar exit ${exitCode})${detail ? `: ${detail}` : ''}.`,
    'Check that the sandbox has tar and gzip and free space in /workspace, then try again.');
}

/**
 * Streams `tar -czf - .` of the sandbox's workspace into `out` (not ended here), hashing it on the
 * way. Memory stays flat: the exec WebSocket is paused while `out` is behind.
 */
export async function backupWorkspace(cluster: Cluster, sandbox: string, out: Writable, opts: WorkspaceStreamOptions = {}): Promise<BackupResult> {
  return audited(cluster, { action: 'exec', target: sandbox, detail: { operation: 'workspace-backup' } },
    () => backupOp(cluster, sandbox, out, opts),
    (r) => ({ detail: { operation: 'workspace-backup', bytes: r.bytes, sha256: r.sha256 } }));
}

async function backupOp(cluster: Cluster, sandbox: string, out: Writable, opts: WorkspaceStreamOptions): Promise<BackupResult> {
  validateSandboxName(sandbox);
  const pod = await readPod(cluster, sandbox, opts.signal);
  const { tap, digest } = hashingTap(opts.onProgress);
  // A failing destination (a full disk) stops the stream at once instead of stalling it.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let outError: Error | undefined;
  const onOutError = (e: Error) => { outError = e; stop.abort(); };
  out.on('error', onOutError);
  tap.pipe(out, { end: false });
  const r = await streamExec(cluster, sandbox, [...BACKUP_ARGV], { container: containerOf(pod), stdout: tap, signal: stop.signal })
    .catch((e: unknown) => { throw outError ?? e; })
    .finally(() => {
      opts.signal?.removeEventListener('abort', onAbort);
      out.off('error', onOutError);
      if (!tap.writableEnded) tap.end();
    });
  // Every byte tar wrote has passed the tap into `out` once the tap's readable side ended.
  if (!tap.readableEnded) await finished(tap, { writable: false }).catch(() => {});
  tap.unpipe(out);
  // GNU tar exits 1 when files changed while they were read: the archive is complete but not a point in time.
  if (r.exitCode !== 0 && r.exitCode !== 1) throw tarFailure(sandbox, 'Backing up the workspace', r.exitCode, r.stderr);
  const d = digest();
  const warnings = r.exitCode === 1 ? r.stderr.trim().split('\n').filter(Boolean).map((l) => terminalSafe(l)) : undefined;
  return { ...d, ...(warnings?.length ? { warnings } : {}) };
}

/**
 * Backs up into FILE: written as a hidden temp file next to it (0600: a workspace holds keys and
 * tokens) and renamed into place when complete, then FILE.sha256. Aborted or failed: no FILE, no
 * temp file, and an existing FILE is untouched.
 */
export async function backupWorkspaceToFile(cluster: Cluster, sandbox: string, file: string, opts: WorkspaceStreamOptions = {}): Promise<BackupResult & { file: string; sidecar: string }> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.partial`);
  const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  try {
    await new Promise<void>((resolve, reject) => { out.once('open', () => resolve()); out.once('error', reject); });
    const r = await backupWorkspace(cluster, sandbox, out, opts);
    out.end();
    await finished(out);
    await fsp.rename(temp, file);
    const sidecar = sidecarPath(file);
    const sideTemp = `${temp}.sha256`;
    await fsp.writeFile(sideTemp, sidecarText(r.sha256, file), { mode: 0o644 });
    await fsp.rename(sideTemp, sidecar);
    return { ...r, file, sidecar };
  } catch (e) {
    out.destroy();
    await fsp.rm(temp, { force: true }).catch(() => {});
    await fsp.rm(`${temp}.sha256`, { force: true }).catch(() => {});
    if (!(e instanceof TerrariumError)) {
      throw new TerrariumError('InvalidInput', `Could not write ${file}: ${(e as Error).message}.`, 'Choose a writable location with -o FILE.', { cause: e });
    }
    throw e;
  }
}

/** The sha256 of a file, read as a stream. */
export async function fileSha256(file: string, signal?: AbortSignal): Promise<{ bytes: number; sha256: string }> {
  const { tap, digest } = hashingTap();
  const src = createReadStream(file, { signal });
  src.pipe(tap).resume();
  await finished(tap);
  return digest();
}

async function expectedSha256(file: string, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(given.trim())) {
      throw new TerrariumError('InvalidInput', 'The expected sha256 must be 64 hexadecimal characters.', 'Pass the value `terrarium workspace backup` printed.');
    }
    return given.trim().toLowerCase();
  }
  let text: string;
  try {
    text = await fsp.readFile(sidecarPath(file), 'utf8');
  } catch {
    throw new TerrariumError('InvalidInput', `${file} has no recorded checksum (${basename(sidecarPath(file))} is missing), so it cannot be checked before restoring.`,
      'Keep the .sha256 file that `terrarium workspace backup` wrote next to the archive, or pass --sha256 HEX with the value it printed.');
  }
  const hex = parseSidecar(text);
  if (!hex) {
    throw new TerrariumError('InvalidInput', `${sidecarPath(file)} does not hold a sha256.`,
      'Keep the .sha256 file that `terrarium workspace backup` wrote, or pass --sha256 HEX with the value it printed.');
  }
  return hex;
}

async function readClaimHolder(cluster: Cluster, sandbox: string, signal?: AbortSignal): Promise<string | undefined> {
  const name = workspaceOf(sandbox);
  let pvc: V1PersistentVolumeClaim;
  try {
    pvc = await kubeOp(cluster, OPS.readPVC, { name },
      (o) => cluster.core.readNamespacedPersistentVolumeClaim({ name, namespace: cluster.namespace }, o), { signal });
  } catch (e) {
    if (!isTerrariumError(e, 'NotFound')) throw e;
    throw new TerrariumError('NotFound', `Sandbox ${sandbox} has no workspace (PVC ${name}) in namespace ${cluster.namespace}.`,
      'List sandboxes with `terrarium sandbox list`.', { status: 404, cause: e });
  }
  return pvc.metadata?.annotations?.[ANNOTATION_CLAIMED_BY] || undefined;
}

/**
 * Streams FILE into `tar -xzpf -` in the sandbox's workspace (files in the archive replace those of
 * the same name; others stay). Checked first: the file's sha256 against the recorded one, and that
 * the sandbox is unclaimed or claimed by the caller (as the API server names them).
 */
export async function restoreWorkspace(cluster: Cluster, sandbox: string, file: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  return audited(cluster, { action: 'exec', target: sandbox, detail: { operation: 'workspace-restore' } },
    () => restoreOp(cluster, sandbox, file, opts),
    (r) => ({ detail: { operation: 'workspace-restore', bytes: r.bytes, sha256: r.sha256 } }));
}

async function restoreOp(cluster: Cluster, sandbox: string, file: string, opts: RestoreOptions): Promise<RestoreResult> {
  validateSandboxName(sandbox);
  const expected = await expectedSha256(file, opts.sha256);
  let before: { bytes: number; sha256: string };
  try {
    before = await fileSha256(file, opts.signal);
  } catch (e) {
    if (opts.signal?.aborted) throw new TerrariumError('Cancelled', 'Cancelled.');
    throw new TerrariumError('InvalidInput', `Could not read ${file}: ${(e as Error).message}.`, 'Pass the path of a backup made with `terrarium workspace backup`.', { cause: e });
  }
  if (before.sha256 !== expected) {
    throw new TerrariumError('InvalidInput',
      `${file} does not match its recorded sha256 (expected ${expected}, the file has ${before.sha256}); nothing was restored.`,
      'The archive is damaged or is not the one that was backed up: use the right file, or back up again.');
  }
  const holder = await readClaimHolder(cluster, sandbox, opts.signal);
  if (holder) {
    const me = await currentIdentity(cluster, opts.signal);
    if (me.username !== holder) {
      throw new TerrariumError('Forbidden', `Sandbox ${sandbox} is claimed by ${terminalSafe(holder)}, not by you (${terminalSafe(me.username)}); nothing was restored.`,
        'Restore into a sandbox you hold: claim one with `terrarium sandbox claim ENV`.');
    }
  }
  const pod = await readPod(cluster, sandbox, opts.signal);
  const { tap, digest } = hashingTap(opts.onProgress);
  const src = createReadStream(file, { highWaterMark: 256 * 1024 });
  const stdin = src.pipe(tap).pipe(new PassThrough({ highWaterMark: 256 * 1024 }));
  src.on('error', (e) => stdin.destroy(e));
  const r = await streamExec(cluster, sandbox, [...RESTORE_ARGV], { container: containerOf(pod), stdin, signal: opts.signal })
    .finally(() => src.destroy());
  if (r.exitCode !== 0) throw tarFailure(sandbox, 'Restoring the workspace', r.exitCode, r.stderr);
  const sent = digest();
  if (sent.sha256 !== expected) {
    throw new TerrariumError('InvalidInput', `${file} changed while it was being restored (sha256 ${sent.sha256}, expected ${expected}).`,
      'Restore again from a file nothing is writing to.');
  }
  return sent;
}
