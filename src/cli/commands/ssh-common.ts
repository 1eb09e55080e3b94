/**
 * Small helpers shared by the connect commands (ssh-proxy, ssh-config, ssh, forward, sandbox
 * claim/release). Kept free of heavy imports: ssh-proxy runs on every SSH connect.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Writable } from 'node:stream';

export interface CommandIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export const defaultIo = (): CommandIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** The global options every command accepts. */
export const GLOBAL_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** parseArgs with the global options added; unknown options are a clear error, not a stack. */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError(e instanceof Error ? e.message : String(e));
  }
}

export class UsageError extends Error {}
export function usageError(message: string): UsageError {
  return new UsageError(message);
}

/** A port number from an option value. */
export function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 0 || n > 65535) throw usageError(`--${name} must be a port number (0-65535), not "${value}".`);
  return n;
}

/** Prints an error the way people should see it: message and hint, no stack for expected failures. */
export async function reportError(e: unknown, io: CommandIo, usage?: string): Promise<number> {
  const { TerrariumError } = await import('../../core/kube/errors');
  const [{ terminalSafe }, { redact }] = await Promise.all([import('../../core/text/terminalSafe'), import('../../core/redact')]);
  // Messages quote cluster text (a claim annotation, a Status message) and sometimes commands with
  // keys in them: redacted, and never raw to a terminal.
  const stderr = { write: (t: string) => io.stderr.write(terminalSafe(redact(t), { multiline: true })) };
  if (e instanceof UsageError) {
    stderr.write(`terrarium: ${e.message}\n${usage ? `usage: ${usage}\n` : ''}`);
    return 2;
  }
  if (e instanceof TerrariumError) {
    stderr.write(`terrarium: ${e.message}\n${e.hint ? `  ${e.hint}\n` : ''}`);
    return 1;
  }
  const debug = !!io.env.TERRARIUM_DEBUG && io.env.TERRARIUM_DEBUG !== '0';
  stderr.write(debug && e instanceof Error && e.stack
    ? `terrarium: unexpected error: ${e.stack}\n`
    : `terrarium: unexpected error: ${e instanceof Error ? e.message : String(e)}\n  Run with TERRARIUM_DEBUG=1 for details.\n`);
  return 1;
}

/** Opens the cluster as every table command does (clusterFor: namespace check, TLS/exec notices); lazy, it pulls in client-node. */
export async function clusterFrom(values: { kubeconfig?: string; context?: string; namespace?: string }, env: NodeJS.ProcessEnv, stderr?: Writable) {
  const { clusterFor } = await import('../cluster');
  return clusterFor({ kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace, json: false, help: false }, { env, stderr });
}

/**
 * Whom a claim acts for: --user, else TERRARIUM_USER, else nobody (yourself, as the API server
 * knows you). Acting for someone else goes through impersonation, which the API server checks.
 */
export function actingFor(user: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return user || env.TERRARIUM_USER || undefined;
}
