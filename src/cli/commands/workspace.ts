/** `terrarium workspace backup|restore`: a sandbox's workspace as a .tar.gz with its sha256, or a CSI snapshot. */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { backupWorkspaceToFile, restoreWorkspace } from '../../core/workspace/backup';
import { snapshotWorkspace } from '../../core/workspace/snapshot';
import { validateSandboxName } from '../../core/devenv/validate';
import { UsageError, type OptionValues } from '../args';
import { clusterFor } from '../cluster';
import type { CommandHandler } from '../commandTypes';
import { jsonText } from '../output';

const str = (v: OptionValues[string]): string | undefined => (typeof v === 'string' ? v : undefined);

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(1)} ${units[i]}`;
}

/**
 * Progress on a terminal's stderr: a line at the start and then each second with the bytes so far (whole lines: the CLI's
 * stderr is terminal-safe, so no carriage returns); nothing when stderr is not a terminal.
 */
function progressLines(stderr: Writable, verb: string, now: () => number = Date.now): { update(bytes: number): void } {
  const tty = (stderr as Writable & { isTTY?: boolean }).isTTY === true;
  let next = 0; // the first chunk shows at once
  return {
    update(bytes) {
      if (!tty || now() < next) return;
      next = now() + 1000;
      stderr.write(`${verb}: ${formatBytes(bytes)} so far\n`);
    },
  };
}

export const workspaceBackupCommand: CommandHandler = async ({ globals, values, positionals, usage }, ctx) => {
  const sandbox = positionals[0]!;
  const output = str(values.output);
  const snapshot = values.snapshot === true;
  const className = str(values['snapshot-class']);
  if (snapshot && output !== undefined) throw new UsageError('--snapshot takes a CSI snapshot in the cluster; it does not write a file, so leave out -o.', usage);
  if (!snapshot && className !== undefined) throw new UsageError('--snapshot-class goes with --snapshot.', usage);
  if (!snapshot && output === undefined) throw new UsageError('say where the archive goes: -o FILE.tar.gz (or --snapshot for a CSI snapshot).', usage);
  validateSandboxName(sandbox);
  const cluster = clusterFor(globals, ctx);

  if (snapshot) {
    const r = await snapshotWorkspace(cluster, sandbox, { className, signal: ctx.signal, now: ctx.now });
    if (globals.json) { ctx.stdout.write(jsonText({ sandbox, snapshot: r.name, volumeSnapshotClass: r.className, pvc: r.pvc })); return; }
    ctx.stdout.write(`Created VolumeSnapshot ${r.name} of ${r.pvc} (class ${r.className}).\n`
      + `The storage driver takes it in the background; it is usable once READYTOUSE is true: kubectl get volumesnapshot ${r.name} -n ${cluster.namespace}\n`);
    return;
  }

  const file = resolve(output!);
  const progress = progressLines(ctx.stderr, `Backing up ${sandbox}`);
  const r = await backupWorkspaceToFile(cluster, sandbox, file, { signal: ctx.signal, onProgress: (b) => progress.update(b) });
  if (globals.json) {
    ctx.stdout.write(jsonText({ sandbox, file: r.file, bytes: r.bytes, sha256: r.sha256, sha256File: r.sidecar, ...(r.warnings ? { warnings: r.warnings } : {}) }));
    return;
  }
  for (const w of r.warnings ?? []) ctx.stderr.write(`terrarium: note: ${w}\n`);
  if (r.warnings?.length) ctx.stderr.write('terrarium: note: files changed while they were read; the archive holds each as it was when tar reached it.\n');
  ctx.stdout.write(`Backed up the workspace of ${sandbox} to ${r.file} (${formatBytes(r.bytes)}).\n`
    + `sha256 ${r.sha256} (also in ${r.sidecar})\n`);
};

export const workspaceRestoreCommand: CommandHandler = async ({ globals, values, positionals }, ctx) => {
  const [sandbox, fileArg] = positionals as [string, string];
  validateSandboxName(sandbox);
  const file = resolve(fileArg);
  const cluster = clusterFor(globals, ctx);
  const progress = progressLines(ctx.stderr, `Restoring into ${sandbox}`);
  const r = await restoreWorkspace(cluster, sandbox, file, { sha256: str(values.sha256), signal: ctx.signal, onProgress: (b) => progress.update(b) });
  if (globals.json) { ctx.stdout.write(jsonText({ sandbox, file, bytes: r.bytes, sha256: r.sha256, restored: true })); return; }
  ctx.stdout.write(`Restored ${file} (${formatBytes(r.bytes)}, sha256 checked) into the workspace of ${sandbox}.\n`);
};
