/**
 * The Secrets & Scaling panel's message protocol, typed once for both sides (the extension host
 * and the webview). Everything from the webview is untrusted input: parseWebviewMessage() checks
 * every field before the panel acts on it.
 */
export type SecretStateName = 'pending' | 'failed' | 'stale' | 'missing' | 'synced' | 'unknown';

export interface SecretView {
  kind: 'VaultStaticSecret' | 'VaultDynamicSecret' | 'VaultPKISecret';
  name: string;
  state: SecretStateName;
  detail: string;
  destination: string;
  /** Key names only; values never travel in state messages. */
  keys: string[];
  lastChanged?: string;
  freshnessUnknown: boolean;
  restartsThisEnvironment: boolean;
  warnings: string[];
}

export interface SandboxRow { name: string; phase: string; reason?: string; claimedBy?: string }

export interface PanelState {
  environment: string;
  namespace: string;
  vsoInstalled: boolean;
  secrets: SecretView[];
  scaling: { desired: number; ready: number; maxReplicas: number; sandboxes: SandboxRow[]; cpu: string; memory: string; storage: string };
}

export type PanelToWebview =
  | { type: 'state'; state: PanelState }
  | { type: 'revealed'; requestId: number; secret: string; key: string; value: string }
  | { type: 'error'; message: string };

export type WebviewToPanel =
  | { type: 'ready' }
  | { type: 'resync'; secret: string; kind: SecretView['kind'] }
  | { type: 'reveal'; requestId: number; secret: string; key: string }
  | { type: 'copy'; secret: string; key: string }
  | { type: 'scale'; replicas: number };

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Secret data keys: the API allows [-._a-zA-Z0-9]+. */
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const KINDS = new Set(['VaultStaticSecret', 'VaultDynamicSecret', 'VaultPKISecret']);

const isName = (v: unknown): v is string => typeof v === 'string' && v.length <= 253 && DNS1123_SUBDOMAIN.test(v);
const isKey = (v: unknown): v is string => typeof v === 'string' && SECRET_KEY.test(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The one entry for messages from the webview; undefined for anything malformed or forged. */
export function parseWebviewMessage(raw: unknown): WebviewToPanel | undefined {
  if (!isObject(raw)) return undefined;
  const only = (...keys: string[]) => Object.keys(raw).every((k) => keys.includes(k));
  switch (raw.type) {
    case 'ready':
      return only('type') ? { type: 'ready' } : undefined;
    case 'resync':
      return only('type', 'secret', 'kind') && isName(raw.secret) && typeof raw.kind === 'string' && KINDS.has(raw.kind)
        ? { type: 'resync', secret: raw.secret, kind: raw.kind as SecretView['kind'] } : undefined;
    case 'reveal':
      return only('type', 'requestId', 'secret', 'key') && Number.isSafeInteger(raw.requestId) && isName(raw.secret) && isKey(raw.key)
        ? { type: 'reveal', requestId: raw.requestId as number, secret: raw.secret, key: raw.key } : undefined;
    case 'copy':
      return only('type', 'secret', 'key') && isName(raw.secret) && isKey(raw.key) ? { type: 'copy', secret: raw.secret, key: raw.key } : undefined;
    case 'scale':
      return only('type', 'replicas') && Number.isInteger(raw.replicas) && (raw.replicas as number) >= 0 && (raw.replicas as number) <= 1000
        ? { type: 'scale', replicas: raw.replicas as number } : undefined;
    default:
      return undefined;
  }
}
