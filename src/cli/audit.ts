/**
 * The CLI's audit sinks: every invocation appends its records as JSON lines to the audit log
 * (0600 in a 0700 directory, rotated at 5 MiB keeping 3), and `--audit` also prints them on stderr
 * for the agent or person running the command. The core operations produce the records.
 */
import { homedir } from 'node:os';
import type { Writable } from 'node:stream';
import { defaultAuditLogPath, fileAuditor, streamAuditor, teeAuditor } from '../core/audit/sinks';
import type { Auditor } from '../core/audit/types';

export const AUDIT_FLAG = '--audit';

/** Takes `--audit` out of argv (only before a `--`: what follows belongs to a remote command). */
export function takeAuditFlag(argv: string[]): { argv: string[]; toStderr: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end);
  const kept = head.filter((a) => a !== AUDIT_FLAG);
  return { argv: [...kept, ...tail], toStderr: kept.length !== head.length };
}

export interface CliAuditorOptions {
  env: NodeJS.ProcessEnv;
  homeDir?: string;
  stderr: Writable;
  toStderr: boolean;
}

export function cliAuditor(o: CliAuditorOptions): Auditor {
  const path = defaultAuditLogPath(o.env, o.homeDir ?? homedir());
  const file = fileAuditor(path, { onError: (m) => o.stderr.write(`terrarium: warning: ${m}\n`) });
  return o.toStderr ? teeAuditor(file, streamAuditor(o.stderr)) : file;
}
