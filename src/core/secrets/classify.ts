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
  spec?: { refreshAfter?: string; hmacSecretData?: boolean; destination?: { name?: string; create?: boolean }; vaultAuthRef?: string };
  status?: { lastGeneration?: number; secretMAC?: string; conditions?: Condition[] };
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
  /** secretMAC seen at the previous look, to tell a rotation. */
  previousMAC?: string;
  now: Date;
}

export function classifySecret({ secret, destinationExists, latestWarning, previousMAC, now }: ClassifyInput): Classification {
  const synced = cond(secret, 'SecretSynced');
  const healthy = cond(secret, 'Healthy');
  const ready = cond(secret, 'Ready');
  const hmac = secret.spec?.hmacSecretData !== false;
  const refresh = parseDuration(secret.spec?.refreshAfter);
  const horizon = refresh ?? (hmac ? 60_000 : undefined);
  const base = {
    lastChanged: synced?.lastTransitionTime,
    lastChecked: healthy?.lastTransitionTime ?? ready?.lastTransitionTime,
    freshnessUnknown: horizon === undefined,
    rotated: !!previousMAC && !!secret.status?.secretMAC && previousMAC !== secret.status.secretMAC,
  };
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
    const age = now.getTime() - Date.parse(base.lastChecked);
    if (age > 2 * horizon + 30_000) {
      return { ...base, state: 'stale', detail: `Not checked for ${Math.round(age / 1000)} s (expected every ${Math.round(horizon / 1000)} s): is the operator running?` };
    }
  }
  return { ...base, state: 'synced', detail: base.freshnessUnknown ? 'Synced once; HMAC is off and no refreshAfter is set, so freshness is unknown.' : 'Synced and checked recently.' };
}
