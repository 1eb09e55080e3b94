/**
 * Audit sinks: a JSON-lines file (the CLI's, 0600 in a 0700 directory, rotated by size), a stream
 * (stderr with `terrarium --audit`), memory (tests), and a tee. Every line passes redact() again,
 * so a record built by hand cannot carry a credential to disk either.
 */
import * as fs from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Writable } from 'node:stream';
import { redact } from '../redact';
import type { AuditRecord, Auditor } from './types';

/**
 * The record as one line of JSON (no trailing newline), redacted. JSON escapes C0 controls; DEL
 * and C1 (e.g. U+009B, a one-byte CSI) are escaped too, so text from a cluster stays inert on a terminal.
 */
export function formatAuditLine(r: AuditRecord): string {
  return redact(JSON.stringify(r)).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface FileAuditorOptions {
  /** Rotate before a write would grow the file past this; default 5 MiB. */
  maxBytes?: number;
  /** Rotated files kept (audit.log.1 newest .. audit.log.N); default 3. */
  keep?: number;
  /** Told once when the file cannot be written; the operation itself goes on. */
  onError?: (message: string) => void;
}

/**
 * Appends one line per record. Each write opens, appends and closes, so concurrent CLI processes
 * (one ssh-proxy per connection) interleave whole lines (O_APPEND) and rotation by one is seen by all.
 */
export function fileAuditor(path: string, opts: FileAuditorOptions = {}): Auditor {
  const maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
  const keep = Math.max(1, opts.keep ?? 3);
  let failed = false;
  return {
    record(r) {
      const line = formatAuditLine(r) + '\n';
      try {
        // Only directories created here are ours to restrict; an existing one (e.g. /tmp) is left alone.
        fs.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        rotateIfNeeded(path, Buffer.byteLength(line), maxBytes, keep);
        const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
        try {
          // The mode argument only applies to a new file: an older one is made private too.
          if ((fs.fstatSync(fd).mode & 0o777) !== 0o600) fs.fchmodSync(fd, 0o600);
          fs.writeSync(fd, line);
        } finally {
          fs.closeSync(fd);
        }
      } catch (e) {
        if (!failed) opts.onError?.(`could not write the audit log ${path}: ${(e as Error).message}`);
        failed = true;
      }
    },
  };
}

function rotateIfNeeded(path: string, adding: number, maxBytes: number, keep: number): void {
  let size: number;
  try { size = fs.statSync(path).size; } catch { return; }
  if (size === 0 || size + adding <= maxBytes) return;
  for (let i = keep - 1; i >= 1; i--) {
    try { fs.renameSync(`${path}.${i}`, `${path}.${i + 1}`); } catch { /* not there yet */ }
  }
  try { fs.renameSync(path, `${path}.1`); } catch { /* another process rotated it first */ }
}

/** `audit {json}` lines on a stream (stderr for `terrarium --audit`). */
export function streamAuditor(stream: Writable): Auditor {
  return { record: (r) => { stream.write(`audit ${formatAuditLine(r)}\n`); } };
}

export interface MemoryAuditor extends Auditor {
  readonly records: AuditRecord[];
}

export function memoryAuditor(): MemoryAuditor {
  const records: AuditRecord[] = [];
  return { records, record: (r) => { records.push(r); } };
}

export function teeAuditor(...auditors: Auditor[]): Auditor {
  return {
    record(r) {
      for (const a of auditors) {
        try { a.record(r); } catch { /* one broken sink does not silence the others */ }
      }
    },
  };
}

/**
 * The CLI's audit log: TERRARIUM_AUDIT_LOG, else $XDG_STATE_HOME/terrarium/audit.log (XDG Base
 * Directory: a relative XDG_STATE_HOME is ignored), else ~/.local/state/terrarium/audit.log.
 */
export function defaultAuditLogPath(env: NodeJS.ProcessEnv, homeDir: string): string {
  if (env.TERRARIUM_AUDIT_LOG) return env.TERRARIUM_AUDIT_LOG;
  const state = env.XDG_STATE_HOME && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(homeDir, '.local', 'state');
  return join(state, 'terrarium', 'audit.log');
}
