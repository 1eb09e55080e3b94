/**
 * Small helpers shared by the connect commands (ssh-proxy, ssh-config, ssh, forward, sandbox
 * claim/release). Kept free of heavy imports: ssh-proxy runs on every SSH connect.
 */
import type { Writable } from 'node:stream';
import { UsageError } from '../args';

export interface CommandIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** The one usage error of the CLI (exit 2, reported by report.ts with the command's usage). */
export { UsageError };
export function usageError(message: string, usage?: string): UsageError {
  return new UsageError(message, usage);
}

/** A port number from an option value. */
export function portOption(value: string | undefined, name: string, fallback: number, usage?: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 0 || n > 65535) throw usageError(`--${name} must be a port number (0-65535), not "${value}".`, usage);
  return n;
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
