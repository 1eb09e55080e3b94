/**
 * A Vault Secrets Operator (VSO) stand-in: an in-memory Vault plus a controller that reconciles the
 * secrets.hashicorp.com/v1beta1 kinds and writes the status shapes, events and destination Secrets
 * the real operator writes, quirks included (see the shared notes, vault-secrets-operator.md).
 * No Vault can run on the test machines, so this is what the secrets panel is tested against.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { events, findResource, secrets, statefulsets } from '../../registry';
import type { KubeObject } from '../../machinery/types';
import type { ResourceDef } from '../../registry/types';
import type { Store, WatchEvent } from '../../storage/store';
import { VSO_GROUP, VSO_KINDS as KINDS, VSO_VERSION, type VsoKind as Kind } from './crds';

export { VSO_GROUP } from './crds';
export const API_VERSION = `${VSO_GROUP}/${VSO_VERSION}`;
/** The registry's VSO kinds (registered from the CRDs in crds.ts). */
export const VSO = Object.fromEntries(KINDS.map((k) => [k, findResource(VSO_GROUP, VSO_VERSION, `${k.toLowerCase()}s`)!])) as Record<Kind, ResourceDef>;

/** What the stand-in needs of the API server: switching its API group off and on (VSO uninstalled). */
export interface ApiGroupSwitch { readonly disabledGroups: Set<string> }
export const DEFAULT_ADDRESS = 'https://vault.vault.svc:8200';
const DEFAULT_HORIZON_MS = 60_000;
/** The operator's field manager: the API server takes it from client-go's user agent, which names the binary (/vault-secrets-operator). */
const VSO_MANAGER = { manager: 'vault-secrets-operator' };

export interface VsoControls {
  /** The in-memory Vault: KV data at "<mount>/<path>" (e.g. "secret/app/config"). */
  vault: { write(path: string, data: Record<string, string>): void; deny(path: string, message?: string): void; allow(path: string): void };
  /** Operator down: no reconciles at all (status ages, so the panel shows "stale"); setDown(false) resumes and reconciles everything once. */
  setDown(down: boolean): void;
  /** Moves every condition lastTransitionTime of one VSO object back by ms (simulates time passing while the operator is down). kind is e.g. 'VaultStaticSecret'. */
  age(namespace: string, kind: string, name: string, ms: number): void;
  /** Marks a VaultAuth invalid (status.valid=false, error=message); secrets using it then fail with an auth error on their next reconcile. failAuth(ns, name, undefined) makes it valid again. */
  failAuth(namespace: string, name: string, message: string | undefined): void;
  /** VSO not installed: every /apis/secrets.hashicorp.com/... request answers 404 and discovery (/apis) drops the group; install() brings it back. */
  uninstall(): void;
  install(): void;
  /** Number of reconciles done, per "<ns>/<Kind>/<name>" (tests wait on it). */
  reconciles(namespace: string, kind: string, name: string): number;
}

type Condition = { type: string; status: 'True' | 'False'; reason: string; message: string; lastTransitionTime?: string };
/** 'change': ADDED or a generation/annotation change (dynamic and PKI secrets issue new credentials); 'timer': periodic resync or operator restart. */
type Trigger = 'change' | 'timer';

const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const epoch = () => Math.floor(Date.now() / 1000);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const pem = (label: string, bytes: number) => `-----BEGIN ${label}-----\n${randomBytes(bytes).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----`;

/** Go-style durations as VSO accepts them ("30s", "1m", "1h30m"). Own copy, so the stand-in does not share code with what it tests. */
export function parseGoDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const [, n, u] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * unit[u!]!;
  return ms > 0 ? ms : undefined;
}

/** Resync period: refreshAfter, else 60 s while HMAC is on, else none (VSO syncs once). */
function horizonOf(spec: any): { ms?: number; text: string } {
  const ms = parseGoDuration(spec?.refreshAfter);
  if (ms) return { ms, text: spec.refreshAfter };
  return spec?.hmacSecretData === false ? { text: '0s' } : { ms: DEFAULT_HORIZON_MS, text: '60s' };
}

/** Conditions in `updates` are stamped now (even unchanged ones: the operator's quirk); the others keep their time. */
function mergeConditions(current: Condition[] = [], updates: Condition[]): Condition[] {
  const t = nowIso();
  const byType = new Map(current.map((c) => [c.type, c]));
  for (const u of updates) byType.set(u.type, { ...u, lastTransitionTime: t });
  const order = ['SecretSynced', 'Healthy', 'Ready', 'RolloutRestart'];
  return [...byType.values()].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
}

const healthy: Condition[] = [
  { type: 'Healthy', status: 'True', reason: 'Healthy', message: '' },
  { type: 'Ready', status: 'True', reason: 'Ready', message: 'Synced' },
];

export class VsoStandIn implements VsoControls {
  /** What the operator logged (it logs some problems without any status or event). */
  readonly logs: string[] = [];
  private readonly kv = new Map<string, Record<string, string>>();
  private readonly denied = new Map<string, string | undefined>();
  private readonly authErrors = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  /** generation + annotations at the last reconcile, by uid: the operator's predicate (status writes never trigger). */
  private readonly seen = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly hmacKey = randomBytes(32);
  private down = false;
  private installed = true;
  private stopped = false;
  private readonly unsubscribe: () => void;

  readonly vault = {
    write: (path: string, data: Record<string, string>) => { this.kv.set(path, { ...data }); },
    deny: (path: string, message?: string) => { this.denied.set(path, message); },
    allow: (path: string) => { this.denied.delete(path); },
  };

  constructor(private readonly store: Store, private readonly api: ApiGroupSwitch) {
    this.unsubscribe = store.subscribe((e) => this.onChange(e));
  }

  private get active(): boolean { return !this.down && this.installed && !this.stopped; }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  setDown(down: boolean): void {
    this.down = down;
    if (!down) this.resyncAll();
  }

  uninstall(): void {
    this.installed = false;
    this.api.disabledGroups.add(VSO_GROUP);
  }

  install(): void {
    this.api.disabledGroups.delete(VSO_GROUP);
    this.installed = true;
    this.resyncAll();
  }

  reconciles(namespace: string, kind: string, name: string): number {
    return this.counts.get(`${namespace}/${kind}/${name}`) ?? 0;
  }

  age(namespace: string, kind: string, name: string, ms: number): void {
    const r = this.resOf(kind);
    const o = this.store.mustGet(r, namespace, name);
    for (const c of o.status?.conditions ?? []) {
      c.lastTransitionTime = new Date(Date.parse(c.lastTransitionTime) - ms).toISOString().replace(/\.\d+Z$/, 'Z');
    }
    this.store.update(r, o, { statusOnly: true, checkVersion: false });
  }

  failAuth(namespace: string, name: string, message: string | undefined): void {
    if (message === undefined) this.authErrors.delete(`${namespace}/${name}`);
    else this.authErrors.set(`${namespace}/${name}`, message);
    const o = this.store.get(VSO.VaultAuth, namespace, name);
    if (o && this.active) this.reconcile(VSO.VaultAuth, o, 'timer');
  }

  /** Resolves once the reconciles queued so far have run (they run on setImmediate, like an async controller). */
  settle(): Promise<void> { return new Promise((r) => setImmediate(r)); }

  private resOf(kind: string): ResourceDef {
    const r = VSO[kind as Kind];
    if (!r) throw new Error(`kube-sim vso: unknown kind ${kind}`);
    return r;
  }

  private onChange(e: WatchEvent): void {
    if (e.res.group !== VSO_GROUP) return;
    const { uid, namespace, name } = e.object.metadata;
    if (e.type === 'DELETED') {
      clearTimeout(this.timers.get(uid));
      this.timers.delete(uid);
      this.seen.delete(uid);
      return;
    }
    // Deferred: reconciling inside the store's emit would reach watchers before the event that caused it.
    setImmediate(() => {
      if (!this.active) return;
      const o = this.store.get(e.res, namespace, name);
      if (o && this.seen.get(o.metadata.uid) !== signature(o)) this.reconcile(e.res, o, 'change');
    });
  }

  /** Operator (re)start: everything once; objects changed meanwhile count as changed. */
  private resyncAll(): void {
    if (!this.active) return;
    for (const kind of KINDS) {
      for (const o of this.store.list(VSO[kind])) {
        this.reconcile(VSO[kind], o, this.seen.get(o.metadata.uid) === signature(o) ? 'timer' : 'change');
      }
    }
  }

  private schedule(r: ResourceDef, o: KubeObject): void {
    const { uid, namespace, name } = o.metadata;
    clearTimeout(this.timers.get(uid));
    this.timers.delete(uid);
    const { ms } = horizonOf(o.spec);
    if (!ms || this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(uid);
      const cur = this.store.get(r, namespace, name);
      // While down or uninstalled the timer lapses; the resync on setDown(false)/install() re-arms it.
      if (this.active && cur?.metadata.uid === uid) this.reconcile(r, cur, 'timer');
    }, ms);
    t.unref();
    this.timers.set(uid, t);
  }

  private reconcile(r: ResourceDef, o: KubeObject, trigger: Trigger): void {
    const key = `${o.metadata.namespace}/${r.kind}/${o.metadata.name}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.seen.set(o.metadata.uid, signature(o));
    if (r === VSO.VaultConnection) {
      this.writeStatus(r, o, { valid: true, conditions: mergeConditions(o.status?.conditions, [{ type: 'Ready', status: 'True', reason: 'Accepted', message: '' }]) });
    } else if (r === VSO.VaultAuth) {
      const error = this.authErrors.get(`${o.metadata.namespace}/${o.metadata.name}`);
      this.writeStatus(r, o, {
        valid: !error, error: error ?? '', specHash: createHash('sha256').update(JSON.stringify(o.spec ?? {})).digest('hex'),
        conditions: mergeConditions(o.status?.conditions, [error
          ? { type: 'Ready', status: 'False', reason: 'Invalid', message: error }
          : { type: 'Ready', status: 'True', reason: 'Accepted', message: '' }]),
      });
    } else {
      this.reconcileSecret(r, o, trigger);
      this.schedule(r, o);
    }
  }

  private reconcileSecret(r: ResourceDef, o: KubeObject, trigger: Trigger): void {
    const spec = o.spec ?? {};
    const prev = o.status ?? {};
    const ns = o.metadata.namespace!;
    const destName: string = spec.destination?.name ?? '';
    const dest = this.store.get(secrets, ns, destName);
    if (!dest && spec.destination?.create !== true) {
      // The real operator only logs this: no status, no event (the panel finds out with its own GET).
      this.logs.push(`${ns}/${o.metadata.name}: destination secret ${destName} does not exist and destination.create is false`);
      return;
    }
    const error = this.authError(o) ?? this.vaultError(r, o);
    if (error) return this.fail(r, o, error);

    // What to write: static = the KV data; dynamic/PKI = new credentials on a change (or when none were issued), else a renewal only.
    let data: Record<string, string> | undefined;
    let extra: Record<string, unknown> = {};
    if (r === VSO.VaultStaticSecret) {
      const kvData = this.kv.get(`${spec.mount}/${spec.path}`)!;
      data = withRaw(spec, kvData);
    } else if (r === VSO.VaultDynamicSecret) {
      extra = { lastRenewalTime: epoch() };
      if (trigger === 'change' || !prev.secretLease) {
        data = withRaw(spec, { username: `v-${o.metadata.name}-${hex(3)}`, password: randomPassword(24) });
        extra.secretLease = { id: `${spec.mount}/${spec.path}/${hex(12)}`, duration: 3600, renewable: true };
      }
    } else if (trigger === 'change' || !prev.serialNumber || prev.expiration <= epoch()) {
      const serial = hex(20).match(/../g)!.join(':');
      data = { certificate: pem('CERTIFICATE', 600), private_key: pem('RSA PRIVATE KEY', 900), issuing_ca: pem('CERTIFICATE', 600), serial_number: serial };
      const ttlMs = parseGoDuration(spec.ttl) ?? 24 * 3_600_000;
      extra = { serialNumber: serial, expiration: epoch() + Math.floor(ttlMs / 1000), lastRotation: epoch(), valid: true, error: '' };
    }

    const updates = [...healthy];
    let mac: string | undefined = prev.secretMAC;
    if (data) {
      mac = createHmac('sha256', this.hmacKey).update(JSON.stringify(Object.entries(data).sort())).digest('base64');
      const changed = mac !== prev.secretMAC;
      const wrote = this.writeDestination(o, dest, data);
      // Quirk: SecretSynced is only rewritten when data was written, so an old failure can linger while Healthy is True.
      if (changed || wrote) updates.unshift({ type: 'SecretSynced', status: 'True', reason: 'Synced', message: 'Secret synced' });
      if (changed) {
        this.event(o, 'Normal', 'SecretSynced', 'Secret synced');
        if (prev.secretMAC) this.rolloutRestart(o);
      }
    }
    this.writeStatus(r, o, {
      ...prev, ...extra, lastGeneration: o.metadata.generation, secretMAC: mac,
      vaultClientMeta: this.clientMeta(o), conditions: mergeConditions(prev.conditions, updates),
    });
  }

  private fail(r: ResourceDef, o: KubeObject, error: string): void {
    const prev = o.status ?? {};
    const message = `Failed to sync the secret, horizon=${horizonOf(o.spec).text}, err=${error}`;
    this.writeStatus(r, o, {
      ...prev, lastGeneration: o.metadata.generation, ...(r === VSO.VaultPKISecret ? { valid: false, error } : {}),
      conditions: mergeConditions(prev.conditions, [
        { type: 'SecretSynced', status: 'False', reason: 'Failed', message },
        { type: 'Healthy', status: 'False', reason: 'VaultClientError', message: error },
        { type: 'Ready', status: 'False', reason: 'Failed', message },
      ]),
    });
    this.event(o, 'Warning', 'VaultClientError', `Failed to read Vault secret: ${error}`);
  }

  private authError(o: KubeObject): string | undefined {
    const ref: string = o.spec?.vaultAuthRef || 'default';
    const [ns, name] = ref.includes('/') ? ref.split('/') : [o.metadata.namespace, ref];
    return this.authErrors.get(`${ns}/${name}`);
  }

  /** The Vault request this secret makes, and why it fails (denied, or nothing at a KV path). */
  private vaultError(r: ResourceDef, o: KubeObject): string | undefined {
    const { mount, path, role } = o.spec ?? {};
    const address = this.store.get(VSO.VaultConnection, o.metadata.namespace, 'default')?.spec?.address ?? DEFAULT_ADDRESS;
    const [method, key, apiPath] = r === VSO.VaultPKISecret ? ['PUT', `${mount}/issue/${role}`, `${mount}/issue/${role}`]
      : r === VSO.VaultStaticSecret && o.spec?.type !== 'kv-v1' ? ['GET', `${mount}/${path}`, `${mount}/data/${path}`]
        : ['GET', `${mount}/${path}`, `${mount}/${path}`];
    if (this.denied.has(key)) {
      return this.denied.get(key) ?? `Error making API request.\n\nURL: ${method} ${address}/v1/${apiPath}\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n`;
    }
    // Dynamic and PKI engines generate on read; only KV paths must hold data.
    if (r === VSO.VaultStaticSecret && !this.kv.has(key)) return `empty response from Vault, path="${apiPath}"`;
    return undefined;
  }

  /** Creates or updates the destination Secret; true when its contents changed. */
  private writeDestination(o: KubeObject, dest: KubeObject | undefined, data: Record<string, string>): boolean {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]));
    const labels = { 'app.kubernetes.io/managed-by': 'hashicorp-vso', 'secrets.hashicorp.com/vso-ownerRefUID': o.metadata.uid };
    if (!dest) {
      this.store.create(secrets, {
        apiVersion: 'v1', kind: 'Secret', type: o.spec.destination.type ?? 'Opaque', data: encoded,
        metadata: {
          name: o.spec.destination.name, namespace: o.metadata.namespace, labels,
          ownerReferences: [{ apiVersion: API_VERSION, kind: o.kind!, name: o.metadata.name, uid: o.metadata.uid }],
        },
      }, VSO_MANAGER);
      return true;
    }
    const same = JSON.stringify(dest.data ?? {}) === JSON.stringify(encoded);
    dest.data = encoded;
    dest.metadata.labels = { ...(dest.metadata.labels ?? {}), ...labels };
    this.store.update(secrets, dest, { checkVersion: false, who: VSO_MANAGER });
    return !same;
  }

  /** Restarts the StatefulSets in rolloutRestartTargets the way `kubectl rollout restart` does (pod template annotation). */
  private rolloutRestart(o: KubeObject): void {
    for (const target of o.spec?.rolloutRestartTargets ?? []) {
      if (target.kind !== 'StatefulSet') continue;
      const sts = this.store.get(statefulsets, o.metadata.namespace, target.name);
      if (!sts) {
        this.event(o, 'Warning', 'RolloutRestartFailed', `failed to restart StatefulSet ${target.name}: not found`);
        continue;
      }
      sts.spec.template ??= {};
      sts.spec.template.metadata ??= {};
      sts.spec.template.metadata.annotations = { ...(sts.spec.template.metadata.annotations ?? {}), 'vso.secrets.hashicorp.com/restartedAt': nowIso() };
      this.store.update(statefulsets, sts, { checkVersion: false });
    }
  }

  private clientMeta(o: KubeObject): { cacheKey: string; id: string } {
    const auth = o.spec?.vaultAuthRef || 'default';
    const h = createHash('sha256').update(`${o.metadata.namespace}/${auth}`).digest('hex');
    return { cacheKey: `kubernetes-${h.slice(0, 22)}`, id: h.slice(22, 54) };
  }

  private writeStatus(r: ResourceDef, o: KubeObject, status: Record<string, unknown>): void {
    const cur = this.store.get(r, o.metadata.namespace, o.metadata.name);
    if (!cur || cur.metadata.uid !== o.metadata.uid) return;
    cur.status = status;
    this.store.update(r, cur, { statusOnly: true, checkVersion: false });
  }

  /** Events as the operator records them (source component = the controller's kind). */
  private event(o: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ns = o.metadata.namespace;
    const t = nowIso();
    this.store.create(events, {
      apiVersion: 'v1', kind: 'Event', metadata: { name: `${o.metadata.name}.${hex(8)}`, namespace: ns },
      involvedObject: { apiVersion: API_VERSION, kind: o.kind, name: o.metadata.name, namespace: ns, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion },
      reason, message, type, count: 1, firstTimestamp: t, lastTimestamp: t, source: { component: o.kind },
    });
  }
}

const signature = (o: KubeObject) => JSON.stringify([o.metadata.generation, o.metadata.annotations ?? {}]);

/** `_raw` holds the whole Vault response unless transformation.excludeRaw. */
function withRaw(spec: any, data: Record<string, string>): Record<string, string> {
  return spec.destination?.transformation?.excludeRaw === true ? { ...data } : { ...data, _raw: JSON.stringify({ data }) };
}

function randomPassword(n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-';
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}
