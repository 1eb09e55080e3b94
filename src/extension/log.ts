import * as vscode from 'vscode';
import { redact } from '../core/redact';
import { formatAuditLine } from '../core/audit/sinks';
import type { Auditor } from '../core/audit/types';

/** The one log of the extension. Never steals focus; everything passes through redact(). */
export interface Log {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
  debug(msg: string): void;
  show(): void;
}

export function createLog(channel: vscode.LogOutputChannel): Log {
  return {
    info: (m) => channel.info(redact(m)),
    warn: (m) => channel.warn(redact(m)),
    debug: (m) => channel.debug(redact(m)),
    error: (m, err) => {
      // Expected failures are one line; bugs keep their stack for the report.
      const detail = err instanceof Error && err.name !== 'TerrariumError' && err.stack ? `\n${err.stack}` : '';
      channel.error(redact(m + detail));
    },
    show: () => channel.show(true),
  };
}

/**
 * The extension's Auditor: one `audit {json}` line per record in the Terrarium log. The core
 * operations record (see core/audit); extension code never writes audit lines itself.
 */
export function logAuditor(channel: Pick<vscode.LogOutputChannel, 'info'>): Auditor {
  return { record: (r) => channel.info(`audit ${formatAuditLine(r)}`) };
}
