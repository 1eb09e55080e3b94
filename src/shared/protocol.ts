/**
 * The Secrets & Scaling panel's message protocol, typed once for both sides (the extension host
 * and the webview). Everything from the webview is untrusted input: parseWebviewMessage() checks
 * every field before the panel acts on it. Secret values travel in exactly one message: the
 * 'revealed' reply to an explicit reveal; state messages carry key names only.
 */
export type SecretStateName = 'pending' | 'failed' | 'stale' | 'missing' | 'synced' | 'unknown';
export type SecretKind = 'VaultStaticSecret' | 'VaultDynamicSecret' | 'VaultPKISecret';

/** A recent Warning event, cluster text carried as data (the webview renders it as text). */
export interface EventView { reason: string; message: string; time?: string; count: number }

/** The VaultAuth / VaultConnection a secret depends on: the usual root cause of failures. */
export interface DependencyView { kind: 'VaultAuth' | 'VaultConnection'; name: string; valid?: boolean; problem?: string }

export interface SecretView {
  kind: SecretKind;
  name: string;
  state: SecretStateName;
  detail: string;
  /** What is read from Vault: "kv-v2 secret/app/config", "database/creds/dev", "pki/issue/dev (dev.example)". */
  source: string;
  /** The Kubernetes Secret the operator writes. */
  destination: string;
  /** Key names only; values never travel in state messages. */
  keys: string[];
  lastChanged?: string;
  lastChecked?: string;
  refreshAfter?: string;
  freshnessUnknown: boolean;
  rotated: boolean;
  /** rolloutRestartTargets names this environment's StatefulSet: a rotation restarts its sandboxes. */
  restartsThisEnvironment: boolean;
  warnings: EventView[];
  dependencies: DependencyView[];
  /** Set after a resync request until the operator has looked at the secret again. */
  resync?: { requestedAt: string; reconciled: boolean };
  /** The destination is a Secret Terrarium manages (e.g. the host key): shown, never revealable. */
  destinationManaged?: boolean;
  /** How the key names were learnt: metadata only, or a full read of the Secret (values included). */
  keysFrom?: KeysFrom;
}

export type KeysFrom = 'managedFields' | 'fullRead';

/** A plain Secret the StatefulSet references (shown when VSO is not installed). */
export interface PlainSecretView { name: string; exists: boolean; keys: string[]; keysFrom?: KeysFrom }

export interface SandboxRow { name: string; phase: string; reason?: string; message?: string; claimedBy?: string; workspace: string }

export interface RequestLimitView { request?: string; limit?: string }

export interface ScalingView {
  desired: number;
  ready: number;
  maxReplicas: number;
  /** Ready sandboxes nobody has claimed: what a new person or agent gets at once. */
  warmSpares: number;
  /** How many warm spares the environment keeps (StatefulSet annotation terrarium.dev/warm-spares); undefined: no warm pool. */
  warmSparesTarget?: number;
  status: string;
  cpu: RequestLimitView;
  memory: RequestLimitView;
  storage: { size?: string; className?: string };
  sandboxes: SandboxRow[];
  /** Workspaces whose sandbox is stopped (scaled down): kept, and back when scaled up. */
  keptWorkspaces: string[];
}

export type VsoStatus = 'installed' | 'not-installed' | 'forbidden' | 'error';

export interface PanelState {
  context: string;
  namespace: string;
  environment: string;
  /** False when the StatefulSet is gone (deleted elsewhere). */
  exists: boolean;
  vso: VsoStatus;
  vsoMessage?: string;
  secrets: SecretView[];
  plainSecrets: PlainSecretView[];
  scaling?: ScalingView;
  updatedAt: string;
  /** Why the last refresh failed (the panel keeps showing the previous data). */
  error?: string;
}

/** What the webview persists (vscode.setState) so the panel is restored after a reload: identity only. */
export interface PanelIdentity { context: string; namespace: string; environment: string }

export type PanelToWebview =
  | { type: 'state'; state: PanelState }
  | { type: 'revealed'; requestId: number; secret: string; key: string; value: string }
  | { type: 'revealFailed'; requestId: number; message: string }
  | { type: 'notice'; level: 'info' | 'error'; message: string };

export type WebviewToPanel =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'resync'; secret: string; kind: SecretKind }
  | { type: 'reveal'; requestId: number; secret: string; key: string }
  | { type: 'copy'; secret: string; key: string }
  | { type: 'scale'; replicas: number }
  | { type: 'warmSpares'; warmSpares: number }
  | { type: 'resources'; cpu: RequestLimitView; memory: RequestLimitView }
  /**
   * "Give to sandboxes": the Kubernetes Secret `secret` reaches every sandbox (env vars or files,
   * asked by the extension host, which also warns about the restart); `source` is the VSO secret
   * writing it, whose rolloutRestartTargets may then name the environment.
   */
  | { type: 'give'; secret: string; source?: { kind: SecretKind; name: string } };

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Secret data keys: the API allows [-._a-zA-Z0-9]+. */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
/** Kubernetes quantity syntax, non-negative (the core checks again, with a friendly message). */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[mkMGTPE])?$/;
const KINDS = new Set(['VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret']);

const isName = (v: unknown): v is string => typeof v === 'string' && v.length <= 253 && DNS1123_SUBDOMAIN.test(v);
const isKey = (v: unknown): v is string => typeof v === 'string' && SECRET_KEY.test(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Also the webview's inline check, so both sides accept the same input. */
export const isQuantity = (v: unknown): v is string => typeof v === 'string' && v.length <= 32 && QUANTITY.test(v);

function requestLimit(v: unknown): RequestLimitView | undefined {
  if (!isObject(v) || !Object.keys(v).every((k) => k === 'request' || k === 'limit')) return undefined;
  if (v.request !== undefined && !isQuantity(v.request)) return undefined;
  if (v.limit !== undefined && !isQuantity(v.limit)) return undefined;
  return { ...(v.request !== undefined ? { request: v.request as string } : {}), ...(v.limit !== undefined ? { limit: v.limit as string } : {}) };
}

/** The one entry for messages from the webview; undefined for anything malformed or forged. */
export function parseWebviewMessage(raw: unknown): WebviewToPanel | undefined {
  if (!isObject(raw)) return undefined;
  const only = (...keys: string[]) => Object.keys(raw).every((k) => keys.includes(k));
  switch (raw.type) {
    case 'ready':
    case 'refresh':
      return only('type') ? { type: raw.type } : undefined;
    case 'resync':
      return only('type', 'secret', 'kind') && isName(raw.secret) && typeof raw.kind === 'string' && KINDS.has(raw.kind)
        ? { type: 'resync', secret: raw.secret, kind: raw.kind as SecretKind } : undefined;
    case 'reveal':
      return only('type', 'requestId', 'secret', 'key') && Number.isSafeInteger(raw.requestId) && isName(raw.secret) && isKey(raw.key)
        ? { type: 'reveal', requestId: raw.requestId as number, secret: raw.secret, key: raw.key } : undefined;
    case 'copy':
      return only('type', 'secret', 'key') && isName(raw.secret) && isKey(raw.key) ? { type: 'copy', secret: raw.secret, key: raw.key } : undefined;
    case 'scale':
      return only('type', 'replicas') && Number.isInteger(raw.replicas) && (raw.replicas as number) >= 0 && (raw.replicas as number) <= 1000
        ? { type: 'scale', replicas: raw.replicas as number } : undefined;
    case 'warmSpares':
      return only('type', 'warmSpares') && Number.isInteger(raw.warmSpares) && (raw.warmSpares as number) >= 0 && (raw.warmSpares as number) <= 1000
        ? { type: 'warmSpares', warmSpares: raw.warmSpares as number } : undefined;
    case 'give': {
      if (!only('type', 'secret', 'source') || !isName(raw.secret)) return undefined;
      if (raw.source === undefined) return { type: 'give', secret: raw.secret };
      const src = raw.source;
      return isObject(src) && Object.keys(src).every((k) => k === 'kind' || k === 'name') && typeof src.kind === 'string' && KINDS.has(src.kind) && isName(src.name)
        ? { type: 'give', secret: raw.secret, source: { kind: src.kind as SecretKind, name: src.name } } : undefined;
    }
    case 'resources': {
      if (!only('type', 'cpu', 'memory')) return undefined;
      const cpu = requestLimit(raw.cpu), memory = requestLimit(raw.memory);
      return cpu && memory ? { type: 'resources', cpu, memory } : undefined;
    }
    default:
      return undefined;
  }
}

/** The identity the webview persisted, validated like any other input (the serializer restores from it). */
export function parsePanelIdentity(raw: unknown): PanelIdentity | undefined {
  if (!isObject(raw)) return undefined;
  const { context, namespace, environment } = raw;
  return typeof context === 'string' && context.length > 0 && context.length <= 253 && isName(namespace) && isName(environment)
    ? { context, namespace, environment } : undefined;
}
