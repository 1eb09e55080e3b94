/**
 * What `terrarium` prints: aligned tables and statuses with their reasons for people, and stable
 * JSON shapes for agents (fields listed explicitly, so additions to core types do not leak into
 * the machine output by accident). Pure functions; types only from the core.
 */
import type { Environment, Sandbox, SandboxStatus } from '../core/devenv/types';
import { terminalSafe } from '../core/text/terminalSafe';

/** Cluster text for one line of human output: every control character shown as a visible escape. */
export const safe = (s: string): string => terminalSafe(s);

/**
 * Columns padded to the widest cell; the last column is not padded (it may be long). Cells come
 * from the cluster (claims, status messages), so each is made terminal-safe here, once for all tables.
 */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((r) => r.map((cell) => terminalSafe(cell)));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

/** "Pending (Unschedulable: 0/3 nodes are available: insufficient memory)"; "Ready". */
export function formatSandboxStatus(s: SandboxStatus): string {
  const reason = s.reason && s.reason !== s.phase ? s.reason : undefined;
  const detail = [reason, s.message?.trim()].filter(Boolean).join(': ');
  return detail ? `${s.phase} (${detail})` : s.phase;
}

/** "500m/2", "500m", "-/2", "-". */
export function formatRequestLimit(r: { request?: string; limit?: string }): string {
  if (!r.request && !r.limit) return '-';
  return r.limit ? `${r.request ?? '-'}/${r.limit}` : r.request!;
}

/** kubectl-style age: 45s, 12m, 5h, 3d. */
export function formatAge(iso: string | undefined, now: Date): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.floor((now.getTime() - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 120 * 60) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function formatEnvironmentStatus(e: Environment): string {
  if (e.status === 'Stopped' && e.lastReplicas) return `Stopped (start brings back ${e.lastReplicas})`;
  return e.status;
}

export function environmentsTable(envs: Environment[], now: Date): string {
  return formatTable(
    ['NAME', 'READY', 'IMAGE', 'CPU', 'MEMORY', 'STORAGE', 'AGE', 'STATUS'],
    envs.map((e) => [
      e.name, `${e.ready}/${e.desired}`, e.image || '-', formatRequestLimit(e.resources.cpu), formatRequestLimit(e.resources.memory),
      e.storage.size ?? '-', formatAge(e.createdAt, now), formatEnvironmentStatus(e),
    ]),
  );
}

export function sandboxesTable(sandboxes: Sandbox[], now: Date): string {
  return formatTable(
    ['NAME', 'ENVIRONMENT', 'WORKSPACE', 'CLAIMED BY', 'RESTARTS', 'AGE', 'STATUS'],
    sandboxes.map((s) => [
      s.name, s.environment, `${s.pvc}${s.pvcPhase ? ` (${s.pvcPhase})` : ' (not created)'}`, s.claimedBy ?? '-', String(s.restarts),
      formatAge(s.createdAt, now), formatSandboxStatus(s.status),
    ]),
  );
}

/** "web-2, web-3 and web-4". */
export function formatList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---- JSON (stable shapes for agents) ----

export interface EnvironmentJson {
  name: string;
  namespace: string;
  status: string;
  desired: number;
  ready: number;
  image: string;
  cpu: { request: string | null; limit: string | null };
  memory: { request: string | null; limit: string | null };
  storage: { size: string | null; className: string | null };
  hostPublicKey: string | null;
  lastReplicas: number | null;
  createdAt: string | null;
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

export function environmentJson(e: Environment): EnvironmentJson {
  return {
    name: e.name, namespace: e.namespace, status: e.status, desired: e.desired, ready: e.ready, image: e.image,
    cpu: { request: orNull(e.resources.cpu.request), limit: orNull(e.resources.cpu.limit) },
    memory: { request: orNull(e.resources.memory.request), limit: orNull(e.resources.memory.limit) },
    storage: { size: orNull(e.storage.size), className: orNull(e.storage.className) },
    hostPublicKey: orNull(e.hostPublicKey), lastReplicas: orNull(e.lastReplicas), createdAt: orNull(e.createdAt),
  };
}

export interface SandboxJson {
  name: string;
  environment: string;
  ordinal: number;
  phase: string;
  reason: string | null;
  message: string | null;
  /** The status as a person reads it, e.g. "Pending (Unschedulable: ...)". */
  statusText: string;
  workspace: string;
  workspacePhase: string | null;
  claimedBy: string | null;
  restarts: number;
  podIP: string | null;
  node: string | null;
  createdAt: string | null;
}

export function sandboxJson(s: Sandbox): SandboxJson {
  return {
    name: s.name, environment: s.environment, ordinal: s.ordinal, phase: s.status.phase, reason: orNull(s.status.reason),
    message: orNull(s.status.message), statusText: formatSandboxStatus(s.status), workspace: s.pvc, workspacePhase: orNull(s.pvcPhase),
    claimedBy: orNull(s.claimedBy), restarts: s.restarts, podIP: orNull(s.podIP), node: orNull(s.node), createdAt: orNull(s.createdAt),
  };
}

/**
 * One JSON document per command run, pretty enough to read, trivially parsed. JSON.stringify
 * escapes C0 controls but leaves DEL and C1 (U+009B is CSI) raw: those become \u00XX escapes too.
 */
export function jsonText(value: unknown): string {
  return terminalSafe(JSON.stringify(value, null, 2), { multiline: true }) + '\n';
}
