/**
 * The process's auditor slot, on globalThis: the extension loads the core as a second bundle, and
 * both copies of the audit code must see one auditor. Its own module, without imports, so the
 * extension can install its auditor at activation without bundling the audit code (and with it
 * the identity lookup and the API routes) into dist/extension.js.
 */
import type { Auditor } from './types';

export interface AuditSlot { auditor?: Auditor; pending: Set<Promise<void>> }
const SLOT = Symbol.for('terrarium.audit');
export const auditSlot = (): AuditSlot => ((globalThis as Record<symbol, AuditSlot | undefined>)[SLOT] ??= { pending: new Set() });

/** Installs the process's auditor; returns a function that puts the previous one back. */
export function installAuditor(auditor: Auditor | undefined): () => void {
  const s = auditSlot();
  const previous = s.auditor;
  s.auditor = auditor;
  return () => { s.auditor = previous; };
}
