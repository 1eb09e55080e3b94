import type { Environment, Sandbox } from '../devenv/types';
import type { DependencyView, PanelState, PlainSecretView, SandboxRow, ScalingView, SecretKind, SecretView } from '../../shared/protocol';
import { classifySecret } from './classify';
import type { SecretShape } from './destinations';
import { isReconciled, type ResyncRequest } from './resync';
import { destinationOf, type VsoObject, type VsoSnapshot, type WarningEvent } from './vsoResources';

/**
 * The panel's state from what the controller read: pure, so every state the webview can show is
 * unit tested here. Values never enter: destinations contribute existence and key names only.
 */
export interface PanelModelInput {
  context: string;
  namespace: string;
  environment: string;
  env?: Environment;
  sandboxes: Sandbox[];
  maxReplicas: number;
  vso: VsoSnapshot;
  destinations: ReadonlyMap<string, SecretShape>;
  warnings: WarningEvent[];
  /** Rotation mark (rotationMarkOf: secretMAC, lease id or serial) per "<kind>/<name>" when first seen, to tell a rotation. */
  previousMACs: ReadonlyMap<string, string>;
  resyncs: ReadonlyMap<string, ResyncRequest>;
  plainSecrets: PlainSecretView[];
  now: Date;
  error?: string;
}

export const secretKey = (kind: string, name: string) => `${kind}/${name}`;

/** "kv-v2 secret/app/config", "database/creds/dev", "pki role devenv (dev.example)". */
export function describeSource(s: VsoObject): string {
  const spec = s.spec ?? {};
  const at = [spec.mount, spec.path].filter(Boolean).join('/');
  if (s.kind === 'VaultStaticSecret') return `${spec.type ?? 'kv-v2'} ${at || '(no path)'}`;
  if (s.kind === 'VaultDynamicSecret') return at || '(no path)';
  return `${spec.mount ?? 'pki'} role ${spec.role ?? '?'}${spec.commonName ? ` (${spec.commonName})` : ''}`;
}

function restartsEnvironment(s: VsoObject, environment: string): boolean {
  const targets: { kind?: string; name?: string }[] = Array.isArray(s.spec?.rolloutRestartTargets) ? s.spec!.rolloutRestartTargets : [];
  return targets.some((t) => t.kind === 'StatefulSet' && t.name === environment);
}

/**
 * A reference as the operator reads it (vso common/common.go ParseResourceRef): "name" in the
 * referring object's namespace, "namespace/name", or empty for "default" in the operator's own
 * namespace (which the panel does not know, so undefined). Undefined altogether when unreadable.
 */
export function parseVsoRef(ref: unknown, namespace: string): { namespace?: string; name: string } | undefined {
  if (ref === undefined || ref === null || ref === '') return { name: 'default' };
  const parts = String(ref).split('/');
  if (parts.length > 2 || parts.some((p) => !p)) return undefined;
  return parts.length === 2 ? { namespace: parts[0]!, name: parts[1]! } : { namespace, name: parts[0]! };
}

const OPERATOR_DEFAULT = "(the operator's namespace)/default";

function dependencies(s: VsoObject, snap: VsoSnapshot, namespace: string): DependencyView[] {
  const out: DependencyView[] = [];
  const ref = parseVsoRef(s.spec?.vaultAuthRef, namespace);
  if (!ref) return [{ kind: 'VaultAuth', name: String(s.spec?.vaultAuthRef), valid: false, problem: 'vaultAuthRef must be a name or namespace/name.' }];
  // No vaultAuthRef: the operator uses the "default" VaultAuth of its own namespace, never this one's.
  if (ref.namespace === undefined) return [{ kind: 'VaultAuth', name: OPERATOR_DEFAULT }];
  const here = ref.namespace === namespace;
  const shown = here ? ref.name : `${ref.namespace}/${ref.name}`;
  const auth = snap.auths.find((a) => (a.metadata.namespace ?? namespace) === ref.namespace && a.metadata.name === ref.name);
  if (!auth) {
    if (!here && snap.unreadableAuths?.includes(shown)) return [{ kind: 'VaultAuth', name: shown }];
    return [{ kind: 'VaultAuth', name: shown, valid: false, problem: here ? `VaultAuth "${shown}" does not exist in this namespace.` : `VaultAuth "${shown}" does not exist.` }];
  }
  // Another namespace's VaultAuth serves this one only if it says so (vso isAllowedNamespace).
  const allowed: unknown[] = Array.isArray(auth.spec?.allowedNamespaces) ? auth.spec!.allowedNamespaces : [];
  const denied = !here && !(allowed.length === 1 && allowed[0] === '*') && !allowed.includes(namespace);
  out.push({ kind: 'VaultAuth', name: shown, valid: denied ? false : auth.status?.valid,
    problem: denied ? `it does not allow namespace "${namespace}" (spec.allowedNamespaces)` : auth.status?.valid === false ? String(auth.status?.error || 'invalid') : undefined });
  const connRef = parseVsoRef(auth.spec?.vaultConnectionRef, ref.namespace);
  if (!connRef) return out;
  if (connRef.namespace === undefined) { out.push({ kind: 'VaultConnection', name: OPERATOR_DEFAULT }); return out; }
  const connShown = connRef.namespace === namespace ? connRef.name : `${connRef.namespace}/${connRef.name}`;
  // Only this namespace's connections are read.
  if (connRef.namespace !== namespace) { out.push({ kind: 'VaultConnection', name: connShown }); return out; }
  const conn = snap.connections.find((c) => (c.metadata.namespace ?? namespace) === connRef.namespace && c.metadata.name === connRef.name);
  if (conn) out.push({ kind: 'VaultConnection', name: connShown, valid: conn.status?.valid, problem: conn.status?.valid === false ? 'the connection to Vault is invalid' : undefined });
  else out.push({ kind: 'VaultConnection', name: connShown, valid: false, problem: `VaultConnection "${connShown}" does not exist in this namespace.` });
  return out;
}

function secretView(s: VsoObject, input: PanelModelInput): SecretView {
  const key = secretKey(s.kind, s.metadata.name);
  const destination = destinationOf(s);
  const shape = input.destinations.get(destination);
  const warnings = input.warnings.filter((w) => w.kind === s.kind && w.name === s.metadata.name).slice(0, 5)
    .map(({ reason, message, time, count }) => ({ reason, message, time, count }));
  const deps = dependencies(s, input.vso, input.namespace);
  const c = classifySecret({
    secret: s as any, destinationExists: shape?.exists, latestWarning: warnings[0]?.message, latestWarningTime: warnings[0]?.time,
    previousMAC: input.previousMACs.get(key), now: input.now,
  });
  const brokenDep = deps.find((d) => d.valid === false);
  const detail = c.state === 'failed' && brokenDep ? `${c.detail} (root cause: ${brokenDep.kind} "${brokenDep.name}": ${brokenDep.problem})` : c.detail;
  const req = input.resyncs.get(key);
  return {
    kind: s.kind as SecretKind, name: s.metadata.name, state: c.state, detail, source: describeSource(s), destination,
    keys: shape?.keys ?? [], lastChanged: c.lastChanged, lastChecked: c.lastChecked, refreshAfter: s.spec?.refreshAfter,
    freshnessUnknown: c.freshnessUnknown, rotated: c.rotated, restartsThisEnvironment: restartsEnvironment(s, input.environment),
    warnings, dependencies: deps, ...(req ? { resync: { requestedAt: req.requestedAt, reconciled: isReconciled(s, req) } } : {}),
    ...(shape?.managed ? { destinationManaged: true } : {}), ...(shape?.keysFrom ? { keysFrom: shape.keysFrom } : {}),
  };
}

function sandboxRow(s: Sandbox): SandboxRow {
  return { name: s.name, phase: s.status.phase, reason: s.status.reason, message: s.status.message, claimedBy: s.claimedBy, workspace: s.pvc };
}

export function scalingView(env: Environment, sandboxes: Sandbox[], maxReplicas: number): ScalingView {
  const live = sandboxes.filter((s) => s.status.phase !== 'Stopped');
  return {
    desired: env.desired, ready: env.ready, maxReplicas, status: env.status,
    warmSpares: live.filter((s) => s.status.phase === 'Ready' && !s.claimedBy).length,
    ...(env.warmSpares !== undefined ? { warmSparesTarget: env.warmSpares } : {}),
    cpu: env.resources.cpu, memory: env.resources.memory, storage: env.storage,
    sandboxes: live.map(sandboxRow),
    keptWorkspaces: sandboxes.filter((s) => s.status.phase === 'Stopped').map((s) => s.pvc),
  };
}

export function buildPanelState(input: PanelModelInput): PanelState {
  return {
    context: input.context, namespace: input.namespace, environment: input.environment, exists: !!input.env,
    vso: input.vso.status, ...(input.vso.message ? { vsoMessage: input.vso.message } : {}),
    secrets: input.vso.secrets.map((s) => secretView(s, input)),
    plainSecrets: input.plainSecrets,
    ...(input.env ? { scaling: scalingView(input.env, input.sandboxes, input.maxReplicas) } : {}),
    updatedAt: input.now.toISOString(),
    ...(input.error ? { error: input.error } : {}),
  };
}

/** The sandboxes a scale to `replicas` stops: the highest ordinals, as a StatefulSet does. */
export function sandboxesStoppedBy(sandboxes: readonly Sandbox[], replicas: number): Sandbox[] {
  return sandboxes.filter((s) => s.status.phase !== 'Stopped' && s.ordinal >= replicas).sort((a, b) => a.ordinal - b.ordinal);
}

/** Secrets a StatefulSet's pod template references (env, envFrom, volumes, projected volumes). */
export function referencedSecretNames(sts: any): string[] {
  const spec = sts?.spec?.template?.spec ?? {};
  const names = new Set<string>();
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) names.add(e.secretRef.name);
  }
  for (const v of spec.volumes ?? []) {
    if (v.secret?.secretName) names.add(v.secret.secretName);
    for (const src of v.projected?.sources ?? []) if (src.secret?.name) names.add(src.secret.name);
  }
  for (const p of spec.imagePullSecrets ?? []) if (p.name) names.add(p.name);
  return [...names].sort();
}
