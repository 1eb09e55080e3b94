/**
 * The state of one Vault Secrets Operator secret as a person should read it, from the resource's
 * status (and the quirks of how the operator writes it: see shared/notes/vault-secrets-operator.md).
 * Pure: the panel feeds it objects from watch caches and a metadata-only check of the destination.
 */
export type SecretState = 'pending' | 'failed' | 'stale' | 'missing' | 'synced' | 'unknown';

export interface Condition { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }

export interface VsoSecretLike {
  kind: string;
  metadata: { name: string; generation?: number };
  spec?: { refreshAfter?: string; hmacSecretData?: boolean; renewalPercent?: number; expiryOffset?: string; destination?: { name?: string; create?: boolean }; vaultAuthRef?: string };
  status?: {
    lastGeneration?: number; secretMAC?: string; conditions?: Condition[];
    /** VaultDynamicSecret: the lease it renews (duration in seconds). */
    secretLease?: { id?: string; duration?: number };
    /** VaultPKISecret: the certificate's serial and expiry (Unix seconds). */
    serialNumber?: string; expiration?: number;
  };
}

/**
 * What changes when the value rotates. The operator writes secretMAC only where it computes one:
 * VaultStaticSecret with HMAC on, VaultPKISecret, and static-creds VaultDynamicSecret; leased
 * dynamic credentials change their lease id, certificates their serial number.
 */
export function rotationMarkOf(s: VsoSecretLike): string | undefined {
  if (s.kind === 'VaultDynamicSecret') return s.status?.secretLease?.id || s.status?.secretMAC || undefined;
  if (s.kind === 'VaultPKISecret') return s.status?.serialNumber || s.status?.secretMAC || undefined;
  return s.status?.secretMAC || undefined;
}

/**
 * When the operator is next due to look at the secret, as ms after its last check, or undefined
 * when it never looks again on its own (VSO v1.4 controllers' requeue horizons):
 * - VaultStaticSecret: refreshAfter, else 60 s while HMAC is on, else never (synced once);
 * - VaultDynamicSecret: renewalPercent (default 67, at most 90) of the lease plus up to 10 %;
 *   refreshAfter only when the lease has no duration;
 * - VaultPKISecret: at expiration minus expiryOffset (it writes nothing until then).
 */
function horizonOf(s: VsoSecretLike, lastChecked: string | undefined): number | undefined {
  const refresh = parseDuration(s.spec?.refreshAfter);
  if (s.kind === 'VaultDynamicSecret') {
    const lease = (s.status?.secretLease?.duration ?? 0) * 1000;
    if (lease > 0) return lease * Math.min(90, Math.max(0, s.spec?.renewalPercent ?? 67)) / 100 + 0.1 * lease;
    return refresh;
  }
  if (s.kind === 'VaultPKISecret') {
    if (!s.status?.expiration || !lastChecked) return undefined;
    return Math.max(0, s.status.expiration * 1000 - (parseDuration(s.spec?.expiryOffset) ?? 0) - Date.parse(lastChecked));
  }
  return refresh ?? (s.spec?.hmacSecretData !== false ? 60_000 : undefined);
}

export interface Classification {
  state: SecretState;
  /** One line for the UI; cluster text is carried as data and rendered as text. */
  detail: string;
  /** When the data last changed (SecretSynced's time: last write or failure). */
  lastChanged?: string;
  /** When the operator last looked (Healthy/Ready are stamped on every reconcile). */
  lastChecked?: string;
  /** HMAC off and no refreshAfter: the operator syncs once, so freshness cannot be judged. */
  freshnessUnknown: boolean;
  /** secretMAC differs from the one seen before: the value rotated. */
  rotated: boolean;
}

/** "30s", "5m", "1h30m", "1.5h" -> milliseconds; undefined when empty or unreadable. */
export function parseDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0, matched = '', m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    matched += m[0];
    total += Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  return matched === text.trim() && matched ? total : undefined;
}

const cond = (s: VsoSecretLike, type: string) => s.status?.conditions?.find((c) => c.type === type);

export interface ClassifyInput {
  secret: VsoSecretLike;
  /** Result of the metadata-only GET of the destination Secret; undefined when not checked. */
  destinationExists?: boolean;
  /** Message of the newest Warning event for this secret, if any. */
  latestWarning?: string;
  /** When that Warning event last happened (its lastTimestamp). */
  latestWarningTime?: string;
  /** secretMAC seen at the previous look, to tell a rotation. */
  previousMAC?: string;
  now: Date;
}

export function classifySecret({ secret, destinationExists, latestWarning, latestWarningTime, previousMAC, now }: ClassifyInput): Classification {
  const synced = cond(secret, 'SecretSynced');
  const healthy = cond(secret, 'Healthy');
  const ready = cond(secret, 'Ready');
  const lastChecked = healthy?.lastTransitionTime ?? ready?.lastTransitionTime;
  const horizon = horizonOf(secret, lastChecked);
  const mark = rotationMarkOf(secret);
  const base = {
    lastChanged: synced?.lastTransitionTime,
    lastChecked,
    freshnessUnknown: horizon === undefined,
    rotated: !!previousMAC && !!mark && previousMAC !== mark,
  };
  // Some failures leave the status as it was and only raise a Warning event (a VaultDynamicSecret
  // that cannot get a Vault client, a destination VSO does not own): a warning newer than the
  // operator's last status write is the current truth.
  const lastWrite = Math.max(...(secret.status?.conditions ?? []).map((c) => Date.parse(c.lastTransitionTime ?? '') || 0), 0);
  if (latestWarning && latestWarningTime && Date.parse(latestWarningTime) > lastWrite) {
    return { ...base, state: 'failed', detail: latestWarning };
  }
  const generation = secret.metadata.generation ?? 0;
  if (!secret.status?.conditions?.length || (secret.status.lastGeneration ?? 0) < generation) {
    return { ...base, state: 'pending', detail: 'Waiting for the Vault Secrets Operator to reconcile the latest change.' };
  }
  // Healthy/Ready are the current truth: SecretSynced can keep an old error after recovery.
  if (ready?.status === 'False' || healthy?.status === 'False') {
    const why = (synced?.status === 'False' ? synced.message : undefined) ?? latestWarning ?? ready?.message ?? healthy?.message ?? 'the operator reports it unhealthy';
    return { ...base, state: 'failed', detail: why };
  }
  if (destinationExists === false) {
    return { ...base, state: 'missing', detail: `The destination Secret "${secret.spec?.destination?.name ?? secret.metadata.name}" does not exist${secret.spec?.destination?.create === false ? ' and destination.create is false, so the operator will not create it (it only logs this)' : ''}.` };
  }
  if (healthy?.status !== 'True' && ready?.status !== 'True') {
    return { ...base, state: 'unknown', detail: 'The operator has not reported health for this secret yet.' };
  }
  if (horizon !== undefined && base.lastChecked) {
    // A certificate is not looked at until it is due for renewal: stale once that is well past.
    if (secret.kind === 'VaultPKISecret') {
      const late = now.getTime() - Date.parse(base.lastChecked) - horizon;
      if (late > 60_000) return { ...base, state: 'stale', detail: `Not renewed ${Math.round(late / 1000)} s after it was due: is the operator running?` };
      return { ...base, state: 'synced', detail: 'Synced; the operator renews the certificate before it expires.' };
    }
    const age = now.getTime() - Date.parse(base.lastChecked);
    if (age > 2 * horizon + 30_000) {
      return { ...base, state: 'stale', detail: `Not checked for ${Math.round(age / 1000)} s (expected every ${Math.round(horizon / 1000)} s): is the operator running?` };
    }
  }
  return { ...base, state: 'synced', detail: base.freshnessUnknown ? `Synced once; ${secret.kind === 'VaultStaticSecret' ? 'HMAC is off and no refreshAfter is set' : 'the operator does not look again on its own'}, so freshness is unknown.` : 'Synced and checked recently.' };
}
