/**
 * Auditing from inside the core operations, so every front end gets one record per action without
 * remembering to. The front end installs its Auditor once per process (the CLI in run(), the
 * extension in activate()); tests install a memory one. The slot lives on globalThis because the
 * extension loads the core as a second bundle: both copies of this module must see one auditor.
 */
import { createHash } from 'node:crypto';
import { redact } from '../redact';
import { whoAmI, type IdentityKubeConfig } from './identity';
import { auditSlot, installAuditor } from './slot';
import type { AuditAction, AuditDetail, AuditRecord, AuditResult, AuditWho, Auditor } from './types';

/** Where an operation acts: a Cluster fits (context, namespace and its KubeConfig for "who"). */
export interface AuditScope {
  context: string;
  namespace: string;
  kc?: IdentityKubeConfig;
}

export interface AuditWhat {
  action: AuditAction;
  target: string;
  detail?: AuditDetail;
}

// The slot on globalThis and installAuditor live in ./slot (the extension installs without this module).
const slot = auditSlot;
export { installAuditor };

export function currentAuditor(): Auditor | undefined {
  return slot().auditor;
}

/** Waits for records still waiting on "who" (a stream's record is not awaited by its operation). */
export async function settleAudits(): Promise<void> {
  while (slot().pending.size) await Promise.all([...slot().pending]);
}

/** How long a finished operation waits for the identity lookup before recording without it. */
const WHO_WAIT_MS = 1000;
const MAX_DETAIL_CHARS = 500;

function cleanDetail(detail: AuditDetail | undefined): AuditDetail | undefined {
  if (!detail) return undefined;
  const out: AuditDetail = {};
  for (const [k, v] of Object.entries(detail)) {
    if (v === undefined) continue;
    out[k] = typeof v === 'string' ? redact(v.length > MAX_DETAIL_CHARS ? `${v.slice(0, MAX_DETAIL_CHARS)}…` : v) : v;
  }
  return Object.keys(out).length ? out : undefined;
}

function errorOf(e: unknown): { code: string; message: string } {
  const code = typeof (e as { code?: unknown })?.code === 'string' && (e as Error).name === 'TerrariumError' ? (e as { code: string }).code : 'Error';
  const message = e instanceof Error ? e.message : String(e);
  return { code, message: redact(message.length > 1000 ? `${message.slice(0, 1000)}…` : message) };
}

export function resultOf(e: unknown, signal?: AbortSignal): AuditResult {
  return signal?.aborted || (e as { code?: unknown })?.code === 'Cancelled' ? 'cancelled' : 'failed';
}

/** One complete, redacted record. Exported for tests and sinks; operations use audited()/auditEvent(). */
export function makeRecord(scope: AuditScope, what: AuditWhat, result: AuditResult, who?: AuditWho, error?: unknown, now = new Date()): AuditRecord {
  const detail = cleanDetail(what.detail);
  return {
    time: now.toISOString(),
    ...(who ? { who } : {}),
    action: what.action, context: scope.context, namespace: scope.namespace, target: what.target,
    ...(detail ? { detail } : {}),
    result,
    ...(result === 'ok' || error === undefined ? {} : { error: errorOf(error) }),
  };
}

/** Starts the identity lookup early (when an auditor is installed), so a later record need not wait. */
export function primeAudit(scope: AuditScope): void {
  if (currentAuditor()) void whoFor(scope);
}

function whoFor(scope: AuditScope): Promise<AuditWho | undefined> | undefined {
  return scope.kc ? whoAmI(scope.kc) : undefined;
}

async function within<T>(p: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  if (!p) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); timer.unref?.(); });
  try { return await Promise.race([p, timeout]); } finally { clearTimeout(timer); }
}

function emit(auditor: Auditor, r: AuditRecord): void {
  try {
    auditor.record(r);
  } catch {
    // A sink that cannot write reports that itself; the operation's outcome stands.
  }
}

/**
 * Runs an operation and records one entry for it: ok with `refine(result)` merged in (e.g. the
 * sandbox a claim got), failed or cancelled with the error. Without an installed auditor it only
 * runs fn (no identity lookup, no extra request).
 */
export async function audited<T>(scope: AuditScope, what: AuditWhat, fn: () => Promise<T>,
  refine?: (result: T) => Partial<AuditWhat>): Promise<T> {
  const auditor = currentAuditor();
  if (!auditor) return fn();
  const who = whoFor(scope); // in parallel with the operation
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    emit(auditor, makeRecord(scope, what, resultOf(e), await within(who, WHO_WAIT_MS), e));
    throw e;
  }
  let done = what;
  try { done = { ...what, ...refine?.(result) }; } catch { /* keep the base record */ }
  emit(auditor, makeRecord(scope, done, 'ok', await within(who, WHO_WAIT_MS)));
  return result;
}

/**
 * Records an event that is not one awaited call (a stream opened, a terminal attached). The
 * record is written once "who" is known (bounded), without holding the caller up; settleAudits()
 * waits for it before a process exits.
 */
export function auditEvent(scope: AuditScope, what: AuditWhat, result: AuditResult, error?: unknown): void {
  const auditor = currentAuditor();
  if (!auditor) return;
  const at = new Date();
  const p = within(whoFor(scope), WHO_WAIT_MS)
    .then((who) => emit(auditor, makeRecord(scope, what, result, who, error, at)), () => undefined);
  const pending = slot().pending;
  pending.add(p);
  void p.finally(() => pending.delete(p));
}

/** `SHA256:…` of an OpenSSH public key line, as ssh-keygen -l prints it: which key, without the key. */
export function sshKeyFingerprint(line: string): string | undefined {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64) return undefined;
  return `SHA256:${createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64').replace(/=+$/, '')}`;
}
