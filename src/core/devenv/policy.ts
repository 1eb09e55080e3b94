/**
 * An environment's pool and idle settings, stored as annotations on its StatefulSet (so the
 * controller, the CLI and the extension all read the same place): how many warm spares to keep,
 * the most sandboxes the pool may scale to, when idle claims expire and when an idle environment
 * stops. Absent means off (or the default); an unreadable value is reported, never guessed at.
 */
import { TerrariumError } from '../kube/errors';
import { DEFAULT_MAX_REPLICAS } from './names';

export const ANNOTATION_WARM_SPARES = 'terrarium.dev/warm-spares';
export const ANNOTATION_CLAIM_TTL = 'terrarium.dev/claim-ttl';
export const ANNOTATION_IDLE_STOP_AFTER = 'terrarium.dev/idle-stop-after';
/** Upper bound for the warm pool's scale-ups (default DEFAULT_MAX_REPLICAS). */
export const ANNOTATION_MAX_REPLICAS = 'terrarium.dev/max-replicas';
/** How long spares beyond warmSpares must stay unused before the pool trims them (default 10m). */
export const ANNOTATION_WARM_TRIM_AFTER = 'terrarium.dev/warm-trim-after';

export const DEFAULT_WARM_TRIM_AFTER_MS = 10 * 60_000;
/** Shorter claim TTLs and idle stops would take sandboxes from people reading or thinking. */
export const MIN_IDLE_DURATION_MS = 60_000;
/** A year: longer is a typo, not a policy. */
const MAX_DURATION_MS = 366 * 24 * 3_600_000;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+[smhd])+$/;

/** "30m", "8h", "1h30m", "2d" to milliseconds; undefined when it is not such a text. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || !DURATION.test(text.trim())) return undefined;
  let ms = 0;
  for (const [, n, unit] of text.trim().matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNITS[unit!]!;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Milliseconds as the shortest text parseDuration reads back ("90m" -> "1h30m"). */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms / 1000);
  if (rest <= 0) return '0s';
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n) { out += `${n}${unit}`; rest -= n * size; }
  }
  return out;
}

export function validateWarmSpares(n: number, max: number = DEFAULT_MAX_REPLICAS): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
    throw new TerrariumError('InvalidInput', `${String(n)} is not a valid number of warm spares: use a whole number from 0 to ${max}.`,
      'For example --warm 2 keeps two ready, unclaimed sandboxes.');
  }
}

/** A claim TTL or idle stop: a duration text of at least a minute. */
export function validateIdleDuration(text: string, what: 'claim TTL' | 'idle stop' | 'warm-pool trim delay'): number {
  const ms = parseDuration(text);
  const min = what === 'warm-pool trim delay' ? 0 : MIN_IDLE_DURATION_MS;
  if (ms === undefined || ms < min || ms > MAX_DURATION_MS) {
    throw new TerrariumError('InvalidInput', `${JSON.stringify(String(text).slice(0, 40))} is not a valid ${what}.`,
      `Use a duration${min ? ` of at least ${formatDuration(min)}` : ''} with units s, m, h or d, e.g. "30m" or "8h".`);
  }
  return ms;
}

/** The settings as they are written (the CLI, the create form). */
export interface PolicySettings {
  warmSpares?: number;
  claimTtl?: string;
  idleStopAfter?: string;
}

/** Validates the settings and returns the StatefulSet annotations that record them. */
export function policyAnnotations(s: PolicySettings, maxReplicas: number = DEFAULT_MAX_REPLICAS): Record<string, string> {
  const out: Record<string, string> = {};
  if (s.warmSpares !== undefined) { validateWarmSpares(s.warmSpares, maxReplicas); out[ANNOTATION_WARM_SPARES] = String(s.warmSpares); }
  if (s.claimTtl !== undefined) out[ANNOTATION_CLAIM_TTL] = formatDuration(validateIdleDuration(s.claimTtl, 'claim TTL'));
  if (s.idleStopAfter !== undefined) out[ANNOTATION_IDLE_STOP_AFTER] = formatDuration(validateIdleDuration(s.idleStopAfter, 'idle stop'));
  return out;
}

/** The settings as the controller uses them. */
export interface EnvironmentPolicy {
  /** Ready unclaimed sandboxes to keep; undefined: the pool is off. */
  warmSpares?: number;
  maxReplicas: number;
  warmTrimAfterMs: number;
  claimTtlMs?: number;
  idleStopAfterMs?: number;
  /** Annotations that could not be read (they count as absent), in words. */
  problems: string[];
}

/** Reads the settings from a StatefulSet's annotations; bad values are problems, and count as absent. */
export function readPolicy(annotations: Record<string, string> | undefined): EnvironmentPolicy {
  const a = annotations ?? {};
  const problems: string[] = [];
  const out: EnvironmentPolicy = { maxReplicas: DEFAULT_MAX_REPLICAS, warmTrimAfterMs: DEFAULT_WARM_TRIM_AFTER_MS, problems };
  const int = (key: string): number | undefined => {
    const v = a[key];
    if (v === undefined) return undefined;
    if (!/^\d{1,4}$/.test(v.trim())) { problems.push(`${key}: ${JSON.stringify(v.slice(0, 40))} is not a whole number`); return undefined; }
    return Number(v.trim());
  };
  const max = int(ANNOTATION_MAX_REPLICAS);
  if (max !== undefined) {
    if (max >= 1) out.maxReplicas = max;
    else problems.push(`${ANNOTATION_MAX_REPLICAS}: must be at least 1`);
  }
  out.warmSpares = int(ANNOTATION_WARM_SPARES);
  if (out.warmSpares !== undefined && out.warmSpares > out.maxReplicas) {
    problems.push(`${ANNOTATION_WARM_SPARES}: ${out.warmSpares} is above the maximum of ${out.maxReplicas} sandboxes; keeping ${out.maxReplicas}`);
    out.warmSpares = out.maxReplicas;
  }
  const duration = (key: string, what: Parameters<typeof validateIdleDuration>[1]): number | undefined => {
    const v = a[key];
    if (v === undefined || v === '') return undefined;
    try { return validateIdleDuration(v, what); } catch (e) {
      problems.push(`${key}: ${e instanceof TerrariumError ? e.message : String(e)}`);
      return undefined;
    }
  };
  out.claimTtlMs = duration(ANNOTATION_CLAIM_TTL, 'claim TTL');
  out.idleStopAfterMs = duration(ANNOTATION_IDLE_STOP_AFTER, 'idle stop');
  out.warmTrimAfterMs = duration(ANNOTATION_WARM_TRIM_AFTER, 'warm-pool trim delay') ?? DEFAULT_WARM_TRIM_AFTER_MS;
  return out;
}
