import * as vscode from 'vscode';
import { formatAudit, redact, type AuditRecord } from '../core/redact';

/** The one log of the extension. Never steals focus; everything passes through redact(). */
export interface Log {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
  debug(msg: string): void;
  audit(record: AuditRecord): void;
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
    audit: (r) => channel.info(redact(formatAudit(r))),
    show: () => channel.show(true),
  };
}
