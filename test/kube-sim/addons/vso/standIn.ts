/**
 * A Vault Secrets Operator (VSO) stand-in: an in-memory Vault plus controllers that reconcile the
 * secrets.hashicorp.com/v1beta1 kinds and write what the real operator writes (read from
 * hashicorp/vault-secrets-operator v1.4.1, chart 1.4.1): conditions, status fields, events,
 * finalizers, destination Secrets and their owner labels, with the same triggers and requeues.
 * Each behaviour names the operator source file it follows ("vso: <file>").
 * No Vault can run on the test machines, so this is what the secrets panel is tested against.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
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
/** The Helm chart's namespace; an empty vaultAuthRef means "default" here (vso: common/common.go ParseResourceRef). */
export const DEFAULT_OPERATOR_NAMESPACE = 'vault-secrets-operator-system';
/** The operator's field manager: the API server takes it from client-go's user agent, which names the binary (/vault-secrets-operator). */
const VSO_MANAGER = { manager: 'vault-secrets-operator' };

/** vso: controllers/*_controller.go (the finalizer constants; PKI's is plural). */
export const FINALIZERS: Record<Kind, string> = {
  VaultConnection: 'vaultconnection.secrets.hashicorp.com/finalizer',
  VaultAuth: 'vaultauth.secrets.hashicorp.com/finalizer',
  VaultStaticSecret: 'vaultstaticsecret.secrets.hashicorp.com/finalizer',
  VaultDynamicSecret: 'vaultdynamicsecret.secrets.hashicorp.com/finalizer',
  VaultPKISecret: 'vaultpkisecrets.secrets.hashicorp.com/finalizer',
};
/** Labels on every destination Secret VSO creates (vso: helpers/secrets.go OwnerLabels, labelOwnerRefUID). */
export const OWNER_LABELS = { 'app.kubernetes.io/managed-by': 'hashicorp-vso', 'app.kubernetes.io/name': 'vault-secrets-operator', 'app.kubernetes.io/component': 'secret-sync' } as const;
const OWNER_UID_LABEL = 'secrets.hashicorp.com/vso-ownerRefUID';

export interface VsoControls {
  /** The in-memory Vault: KV data at "<mount>/<path>" (e.g. "secret/app/config"). */
  vault: { write(path: string, data: Record<string, string>): void; deny(path: string, message?: string): void; allow(path: string): void };
  /** Operator down: no reconciles at all (status ages, so the panel shows "stale"); setDown(false) starts a new operator pod, which reconciles everything once. */
  setDown(down: boolean): void;
  /** Moves every condition lastTransitionTime of one VSO object back by ms (simulates time passing while the operator is down). kind is e.g. 'VaultStaticSecret'. */
  age(namespace: string, kind: string, name: string, ms: number): void;
  /**
   * A VaultAuth the operator cannot use: its reconcile reports status.valid=false with the message
   * (as for a configuration error it detects), and Vault logins through it fail with the message, so
   * its secrets fail on their next reconcile. failAuth(ns, name, undefined) makes it usable again.
   */
  failAuth(namespace: string, name: string, message: string | undefined): void;
  /** VSO not installed: every /apis/secrets.hashicorp.com/... request answers 404 and discovery (/apis) drops the group; install() brings it back. */
  uninstall(): void;
  install(): void;
  /** Number of reconciles done, per "<ns>/<Kind>/<name>" (tests wait on it). */
  reconciles(namespace: string, kind: string, name: string): number;
}

export interface VsoOptions {
  /** Where the operator runs (its "default" VaultAuth/VaultConnection live there). */
  operatorNamespace?: string;
}

/** metav1.Condition, fields in Go's order. */
type Condition = { type: string; status: 'True' | 'False'; observedGeneration?: number; lastTransitionTime?: string; reason: string; message: string };
type Result = { requeueMs?: number };

const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const epoch = () => Math.floor(Date.now() / 1000);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const pem = (label: string, bytes: number) => `-----BEGIN ${label}-----\n${randomBytes(bytes).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----`;
const SECOND = 1000;
/** vso: controllers/common.go requeueDurationOnError. */
const REQUEUE_ON_ERROR_MS = 5 * SECOND;

/** Go-style durations as VSO accepts them ("30s", "1m", "1h30m"). Own copy, so the stand-in does not share code with what it tests. */
export function parseGoDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = 0;
  for (const [, n, u] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * unit[u!]!;
  return ms > 0 ? ms : undefined;
}

/** Go's time.Duration.String() for a duration in ms ("48.123456789s", "1m0s", "40m12.5s", "0s"). */
export function formatGoDuration(ms: number): string {
  const ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const trim = (n: number, digits: number) => {
    const frac = String(n % 10 ** digits).padStart(digits, '0').replace(/0+$/, '');
    return `${Math.floor(n / 10 ** digits)}${frac ? `.${frac}` : ''}`;
  };
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns, 3)}µs`;
  if (ns < 1e9) return `${trim(ns, 6)}ms`;
  const h = Math.floor(ns / 3.6e12), m = Math.floor((ns % 3.6e12) / 6e10), s = trim(ns % 6e10, 9);
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** d minus 10% minus up to 10% more (vso: controllers/common.go computeHorizonWithJitter). */
const horizonWithJitter = (ms: number) => ms - 0.1 * ms - Math.random() * 0.1 * ms;
/** renewalPercent of the lease plus up to 10% (vso: controllers/common.go computeDynamicHorizonWithJitter). */
const dynamicHorizon = (leaseMs: number, percent: number) => leaseMs * Math.min(90, Math.max(0, percent)) / 100 + 0.1 * leaseMs - Math.random() * 0.1 * leaseMs;
/** Exponential back-off after Vault errors: 5 s initial, x1.5, max 60 s, randomization 0.5 (vso: controllers/registry.go, main.go flags). */
const backOff = (attempt: number) => Math.min(60 * SECOND, REQUEUE_ON_ERROR_MS * 1.5 ** attempt) * (0.5 + Math.random());

/**
 * New conditions replace those of the same type; each is stamped now (every caller builds them with
 * newConditionNow, so even unchanged ones move); untouched types stay first, in their order
 * (vso: controllers/common.go updateConditions).
 */
function updateConditions(current: Condition[] = [], updates: Condition[]): Condition[] {
  const t = nowIso();
  const seen = new Set<string>();
  const out: Condition[] = [];
  for (const u of updates) {
    if (seen.has(u.type)) continue;
    seen.add(u.type);
    out.push({ ...u, lastTransitionTime: u.lastTransitionTime ?? t });
  }
  return [...current.filter((c) => !seen.has(c.type)), ...out];
}

const condition = (o: KubeObject, type: string, reason: string, status: boolean, message: string): Condition =>
  ({ type, status: status ? 'True' : 'False', observedGeneration: o.metadata.generation, lastTransitionTime: nowIso(), reason, message });
/** vso: controllers/common.go newSyncCondition (reason "Synced" whatever the status). */
const syncCondition = (o: KubeObject, ok: boolean, message: string) => condition(o, 'SecretSynced', 'Synced', ok, message);
/** vso: controllers/common.go newHealthyCondition / newReadyCondition ("<Kind>Healthy", "<Kind>Unhealthy", "<Kind>Ready"). */
const healthConditions = (o: KubeObject, kind: string, ok: boolean): Condition[] => [
  condition(o, 'Healthy', ok ? 'Healthy' : 'Unhealthy', ok, `${kind}${ok ? 'Healthy' : 'Unhealthy'}`),
  condition(o, 'Ready', 'Ready', ok, `${kind}Ready`),
];

/** HMAC over the Secret data as Go marshals map[string][]byte: sorted keys, base64 values (vso: helpers/hmac.go). */
function macOf(key: Buffer, encoded: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(encoded).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHmac('sha256', key).update(JSON.stringify(sorted)).digest('base64');
}

const hasOwnerLabels = (o: KubeObject | undefined) => !!o && Object.entries(OWNER_LABELS).every(([k, v]) => o.metadata.labels?.[k] === v);

interface VaultClient { cacheKey: string; id: string; address: string }

export class VsoStandIn implements VsoControls {
  /** What the operator logged (it logs some problems without any status or event). */
  readonly logs: string[] = [];
  readonly operatorNamespace: string;
  private readonly kv = new Map<string, Record<string, string>>();
  private readonly denied = new Map<string, string | undefined>();
  private readonly authErrors = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  /** generation, annotations and labels as last seen, by uid: what the controllers' update predicates compare. */
  private readonly seen = new Map<string, { generation?: number; annotations: string; labels: string }>();
  /** VDS/PKI objects that must sync new credentials on their next reconcile (vso: controllers/registry.go SyncRegistry). */
  private readonly syncRegistry = new Set<string>();
  private readonly backOffs = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Event name per (object uid, type, reason, message), for the recorder's aggregation. */
  private readonly recorded = new Map<string, string>();
  private readonly hmacKey = randomBytes(32);
  /** The operator pod's uid (downward API): a new one each time the operator comes back. */
  private podUID = randomUUID();
  private down = false;
  private installed = true;
  private stopped = false;
  private readonly unsubscribe: () => void;

  readonly vault = {
    write: (path: string, data: Record<string, string>) => { this.kv.set(path, { ...data }); },
    deny: (path: string, message?: string) => { this.denied.set(path, message); },
    allow: (path: string) => { this.denied.delete(path); },
  };

  constructor(private readonly store: Store, private readonly api: ApiGroupSwitch, opts: VsoOptions = {}) {
    this.operatorNamespace = opts.operatorNamespace ?? DEFAULT_OPERATOR_NAMESPACE;
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
    if (!down) this.restart();
  }

  uninstall(): void {
    this.installed = false;
    this.api.disabledGroups.add(VSO_GROUP);
  }

  install(): void {
    this.api.disabledGroups.delete(VSO_GROUP);
    this.installed = true;
    this.restart();
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
    if (o && this.active) this.run(VSO.VaultAuth, o);
  }

  /** Resolves once the reconciles queued so far have run (they run on setImmediate, like an async controller). */
  settle(): Promise<void> { return new Promise((r) => setImmediate(r)); }

  private resOf(kind: string): ResourceDef {
    const r = VSO[kind as Kind];
    if (!r) throw new Error(`kube-sim vso: unknown kind ${kind}`);
    return r;
  }

  private onChange(e: WatchEvent): void {
    if (e.res === secrets) {
      if (e.type === 'DELETED') this.onSecretDeleted(e.object);
      return;
    }
    if (e.res.group !== VSO_GROUP) return;
    const o = e.object;
    const { uid } = o.metadata;
    const kind = e.res.kind as Kind;
    const before = this.seen.get(uid);
    const now = { generation: o.metadata.generation, annotations: JSON.stringify(o.metadata.annotations ?? {}), labels: JSON.stringify(o.metadata.labels ?? {}) };
    if (e.type === 'DELETED') {
      clearTimeout(this.timers.get(uid));
      this.timers.delete(uid);
      this.seen.delete(uid);
      this.syncRegistry.delete(uid);
      this.backOffs.delete(uid);
      return;
    }
    this.seen.set(uid, now);
    if (!this.active) return;
    let wanted = e.type === 'ADDED' || !before || o.metadata.deletionTimestamp !== undefined;
    if (!wanted) {
      const generationChanged = before!.generation !== now.generation;
      if (kind === 'VaultAuth' || kind === 'VaultConnection') {
        // vso: vaultauth_controller.go / vaultconnection_controller.go SetupWithManager: GenerationChangedPredicate only.
        wanted = generationChanged;
      } else {
        // vso: controllers/predicates.go syncableSecretPredicate: generation, annotation or label changes;
        // VDS and PKI also put the object in the SyncRegistry on annotation/label changes (new credentials).
        const metaChanged = before!.annotations !== now.annotations || before!.labels !== now.labels;
        if (metaChanged && kind !== 'VaultStaticSecret') this.syncRegistry.add(uid);
        wanted = generationChanged || metaChanged;
      }
    }
    // Deferred: reconciling inside the store's emit would reach watchers before the event that caused it.
    if (wanted) setImmediate(() => this.runLatest(e.res, o.metadata.namespace!, o.metadata.name, uid));
  }

  /** A deleted Secret carrying VSO's owner labels requeues its owner within 1 s (vso: controllers/eventhandlers.go enqueueOnDeletionRequestHandler, predicates.go secretsPredicate). */
  private onSecretDeleted(s: KubeObject): void {
    if (!hasOwnerLabels(s)) return;
    for (const ref of s.metadata.ownerReferences ?? []) {
      const r = ref.apiVersion === API_VERSION ? VSO[ref.kind as Kind] : undefined;
      if (!r || r === VSO.VaultAuth || r === VSO.VaultConnection) continue;
      const t = setTimeout(() => this.runLatest(r, s.metadata.namespace!, ref.name), Math.random() * 0.1 * SECOND);
      t.unref();
    }
  }

  private runLatest(r: ResourceDef, namespace: string, name: string, uid?: string): void {
    if (!this.active) return;
    const o = this.store.get(r, namespace, name);
    if (o && (!uid || o.metadata.uid === uid)) this.run(r, o);
  }

  /** A new operator pod: its informers list everything, and each object is reconciled once. */
  private restart(): void {
    if (!this.active) return;
    this.podUID = randomUUID();
    for (const kind of KINDS) {
      for (const o of this.store.list(VSO[kind])) {
        this.seen.set(o.metadata.uid, { generation: o.metadata.generation, annotations: JSON.stringify(o.metadata.annotations ?? {}), labels: JSON.stringify(o.metadata.labels ?? {}) });
        this.run(VSO[kind], o);
      }
    }
  }

  private run(r: ResourceDef, o: KubeObject): void {
    const key = `${o.metadata.namespace}/${r.kind}/${o.metadata.name}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const kind = r.kind as Kind;
    if (o.metadata.deletionTimestamp) return this.handleDeletion(r, o);
    const result = kind === 'VaultConnection' ? this.reconcileConnection(o)
      : kind === 'VaultAuth' ? this.reconcileAuth(o)
        : kind === 'VaultStaticSecret' ? this.reconcileStatic(o)
          : kind === 'VaultDynamicSecret' ? this.reconcileDynamic(o)
            : this.reconcilePKI(o);
    this.schedule(r, o, result.requeueMs);
  }

  private schedule(r: ResourceDef, o: KubeObject, ms: number | undefined): void {
    const { uid, namespace, name } = o.metadata;
    clearTimeout(this.timers.get(uid));
    this.timers.delete(uid);
    if (!ms || ms <= 0 || this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(uid);
      // While down or uninstalled the timer lapses; the operator's restart reconciles everything.
      this.runLatest(r, namespace!, name, uid);
    }, ms);
    t.unref();
    this.timers.set(uid, t);
  }

  // ---- VaultConnection (vso: controllers/vaultconnection_controller.go) ----

  private reconcileConnection(o: KubeObject): Result {
    const address = String(o.spec?.address ?? '');
    // The conditions start over on every reconcile; the in-memory Vault always answers its seal-status ping.
    const conditions: Condition[] = [
      condition(o, 'VaultPing', 'Accepted', true, `Vault ping, address=${address}`),
    ];
    this.event(o, 'Normal', 'Accepted', 'VaultConnection accepted');
    this.updateStatus(o, { ...(o.status ?? {}), valid: true, conditions }, [
      condition(o, 'ResourceValidation', 'Accepted', true, `Successfully validated resource, address=${address}`),
      ...healthConditions(o, 'VaultConnection', true),
    ]);
    return {};
  }

  // ---- VaultAuth (vso: controllers/vaultauth_controller.go) ----

  private reconcileAuth(o: KubeObject): Result {
    const ns = o.metadata.namespace!;
    const errs: string[] = [];
    if (ns === this.operatorNamespace && !o.spec?.vaultConnectionRef) errs.push(`vaultConnectionRef must be set on resources in the "${ns}" namespace`);
    const conn = this.parseRef(o.spec?.vaultConnectionRef, ns);
    if (!conn) errs.push(`invalid name: ${o.spec?.vaultConnectionRef}`);
    // The real one retries the GET for 30 s (60 x 500 ms) before giving up; here the answer is immediate.
    else if (!this.store.get(VSO.VaultConnection, conn.namespace, conn.name)) errs.push(`vaultconnections.secrets.hashicorp.com "${conn.name}" not found`);
    const failed = this.authErrors.get(`${ns}/${o.metadata.name}`);
    if (failed) errs.push(failed);
    const error = errs.join('\n');
    // The real one hashes the spec with BLAKE2b-256; only equality matters.
    const specHash = createHash('sha256').update(JSON.stringify(o.spec ?? {})).digest('hex');
    this.updateStatus(o, { ...(o.status ?? {}), valid: !error, error, specHash }, healthConditions(o, 'VaultAuth', !error));
    if (!error) this.event(o, 'Normal', 'Accepted', 'Successfully handled VaultAuth resource request');
    else this.event(o, 'Warning', 'Accepted', `Failed to handle VaultAuth resource request: err=${error}`);
    return { requeueMs: error ? horizonWithJitter(REQUEUE_ON_ERROR_MS) : undefined };
  }

  // ---- VaultStaticSecret (vso: controllers/vaultstaticsecret_controller.go) ----

  private reconcileStatic(o: KubeObject): Result {
    const spec = o.spec ?? {};
    const prev = o.status ?? {};
    const fail = (event: [string, string], err: string, horizonMs: number, base: Record<string, any> = prev): Result => {
      this.event(o, 'Warning', event[0], event[1]);
      this.updateStatus(o, { ...base }, [syncCondition(o, false, `Failed to sync the secret, horizon=${formatGoDuration(horizonMs)}, err=${err}`), ...healthConditions(o, 'VaultStaticSecret', false)]);
      return { requeueMs: horizonMs };
    };
    const client = this.client(o);
    if (typeof client === 'string') return fail(['VaultClientConfigError', `Failed to get Vault auth login: ${client}`], client, horizonWithJitter(REQUEUE_ON_ERROR_MS));
    const dest = this.destination(o);
    if (!dest && spec.destination?.create !== true) return this.logMissingDestination(o);
    const status: Record<string, any> = { ...prev, vaultClientMeta: { cacheKey: client.cacheKey, id: client.id } };
    const refreshMs = parseGoDuration(spec.refreshAfter);
    let requeueMs = refreshMs ? horizonWithJitter(refreshMs) : 0;

    const readError = this.vaultError(o, client);
    if (readError) {
      const attempt = this.backOffs.get(o.metadata.uid) ?? 0;
      this.backOffs.set(o.metadata.uid, attempt + 1);
      return fail(['VaultClientError', `Failed to read Vault secret: ${readError}`], readError, backOff(attempt), status);
    }
    this.backOffs.delete(o.metadata.uid);
    const data = encode(withRaw(spec, this.kv.get(`${spec.mount}/${spec.path}`)!));

    let doSync = true;
    let doRolloutRestart = false;
    if (spec.hmacSecretData !== false) {
      // HMAC on (the CRD's default): drift detection needs a period, 60 s when none is set.
      if (!requeueMs) requeueMs = horizonWithJitter(60 * SECOND);
      doRolloutRestart = !!prev.secretMAC;
      const mac = macOf(this.hmacKey, data);
      const macsEqual = !!prev.secretMAC && mac === prev.secretMAC && !!dest && macOf(this.hmacKey, dest.data ?? {}) === prev.secretMAC;
      if (prev.lastGeneration === o.metadata.generation) doSync = !macsEqual;
      status.secretMAC = mac;
    } else if (spec.rolloutRestartTargets?.length) {
      this.logs.push(`${o.metadata.namespace}/${o.metadata.name}: Ignoring RolloutRestartTargets (hmacSecretData is false)`);
    }

    const conditions: Condition[] = [];
    if (doSync) {
      const err = this.syncSecret(o, dest, data);
      if (err) {
        this.event(o, 'Warning', 'SecretSyncError', `Failed to update k8s secret: ${err}`);
        return { requeueMs: horizonWithJitter(REQUEUE_ON_ERROR_MS) };
      }
      conditions.push(syncCondition(o, true, `Secret synced, horizon=${formatGoDuration(requeueMs)}`));
      this.event(o, 'Normal', 'SecretSynced', 'Secret synced');
      if (doRolloutRestart && spec.rolloutRestartTargets?.length) {
        const err = this.rolloutRestart(o);
        conditions.push(err
          ? condition(o, 'RolloutRestart', 'RolloutRestartTriggeredFailed', false, `Rollout restart trigger failed, err=${err}`)
          : condition(o, 'RolloutRestart', 'RolloutRestartTriggered', true, 'Rollout restart triggered'));
      }
    }
    this.updateStatus(o, status, [...conditions, ...healthConditions(o, 'VaultStaticSecret', true)]);
    return { requeueMs };
  }

  // ---- VaultDynamicSecret (vso: controllers/vaultdynamicsecret_controller.go) ----

  private reconcileDynamic(o: KubeObject): Result {
    const spec = o.spec ?? {};
    const prev = o.status ?? {};
    const uid = o.metadata.uid;
    const dest = this.destination(o);
    if (!dest && spec.destination?.create !== true) return this.logMissingDestination(o);
    const client = this.client(o);
    if (typeof client === 'string') {
      // Only an event: the status is left as it was, so the panel must read Warning events to notice.
      this.event(o, 'Warning', 'VaultClientConfigError', `Failed to get Vault client: ${client}`);
      return { requeueMs: horizonWithJitter(REQUEUE_ON_ERROR_MS) };
    }
    const lastCacheKey: string | undefined = prev.vaultClientMeta?.cacheKey;
    const status: Record<string, any> = { ...prev, vaultClientMeta: { cacheKey: client.cacheKey, id: client.id } };
    const percent = typeof spec.renewalPercent === 'number' ? spec.renewalPercent : 67;
    const syncReason = !prev.lastGeneration ? 'InitialSync'
      : this.syncRegistry.has(uid) ? 'ForceSync'
        : o.metadata.generation !== prev.lastGeneration ? 'ResourceUpdated'
          : spec.destination?.create === true && !dest ? 'InexistentDestination'
            : lastCacheKey && lastCacheKey !== client.cacheKey ? 'VaultClientConfigChanged' : '';
    const conditions: Condition[] = [];
    const lease = prev.secretLease ?? {};
    const leaseMs = (lease.duration ?? 0) * SECOND;
    if (!syncReason && prev.lastRuntimePodUID !== this.podUID && leaseMs > 0) {
      // A new operator pod does not renew before the renewal window (no thundering herd).
      const renewAt = (prev.lastRenewalTime ?? 0) * SECOND + leaseMs * Math.min(90, Math.max(0, percent)) / 100;
      const rel = Math.max(SECOND, renewAt - Date.now());
      const horizon = rel - Math.random() * 0.05 * rel;
      if (Date.now() <= renewAt) {
        if (!prev.conditions?.length) conditions.push(syncCondition(o, true, 'Updated after transitioning to a new leader/pod'));
        this.event(o, 'Normal', 'SecretLeaseRenewal', `Not in renewal window after transitioning to a new leader/pod, lease_id=${lease.id}, horizon=${formatGoDuration(horizon)}`);
        conditions.push(condition(o, 'LeaseRenewal', 'SecretLeaseRenewal', false, `Not in rotation period after transitioning to a new leader/pod, horizon=${formatGoDuration(horizon)}`));
        this.updateStatus(o, { ...status, lastRuntimePodUID: this.podUID }, [...conditions, ...healthConditions(o, 'VaultDynamicSecret', true)]);
        return { requeueMs: horizon };
      }
    }
    if (!syncReason && lease.renewable && lease.id) {
      // The in-memory Vault renews every lease for its full duration.
      if (!prev.conditions?.length) conditions.push(syncCondition(o, true, 'Updated for lease renewal'));
      conditions.push(condition(o, 'LeaseRenewal', 'SecretLeaseRenewal', true, 'Successfully renewed lease'));
      this.updateStatus(o, { ...status, lastRenewalTime: epoch(), lastRuntimePodUID: this.podUID }, [...conditions, ...healthConditions(o, 'VaultDynamicSecret', true)]);
      const horizon = dynamicHorizon(leaseMs, percent);
      this.event(o, 'Normal', 'SecretLeaseRenewal', `Renewed lease, lease_id=${lease.id}, horizon=${formatGoDuration(horizon)}`);
      return { requeueMs: horizon };
    }
    const reason = prev.lastGeneration > 0 ? 'SecretRotated' : 'SecretSynced';
    const err = this.vaultError(o, client)
      ?? this.syncSecret(o, dest, encode(withRaw(spec, { username: `v-${o.metadata.name}-${hex(3)}`, password: randomPassword(24) })));
    if (err) {
      this.syncRegistry.add(uid);
      const attempt = this.backOffs.get(uid) ?? 0;
      this.backOffs.set(uid, attempt + 1);
      const horizon = formatGoDuration(backOff(attempt));
      this.event(o, 'Warning', 'SecretSyncError', `Failed to sync the secret, horizon=${horizon}, err=${err}`);
      conditions.push(syncCondition(o, false, `Failed to sync the secret, horizon=${horizon}, err=${err}`));
      this.updateStatus(o, { ...status, lastRuntimePodUID: this.podUID }, [...conditions, ...healthConditions(o, 'VaultDynamicSecret', false)]);
      return { requeueMs: parseHorizon(horizon) };
    }
    this.backOffs.delete(uid);
    const leaseId = `${spec.mount}/${spec.path}/${hex(12)}`;
    status.secretLease = { id: leaseId, duration: 3600, renewable: true, requestID: randomUUID() };
    status.lastRenewalTime = epoch();
    status.lastRuntimePodUID = this.podUID;
    const horizonMs = dynamicHorizon(3600 * SECOND, percent);
    this.event(o, 'Normal', reason, `Secret synced, lease_id=${JSON.stringify(leaseId)}, horizon=${formatGoDuration(horizonMs)}, sync_reason=${JSON.stringify(syncReason)}`);
    conditions.push(syncCondition(o, true, 'Secret synced'));
    // v1.4.1 restarts the targets after every sync of non-static credentials, the first one included.
    if (spec.rolloutRestartTargets?.length) {
      const rerr = this.rolloutRestart(o);
      conditions.push(rerr
        ? condition(o, 'RolloutRestart', 'RolloutRestartTriggeredFailed', false, `Rollout restart trigger failed: ${rerr}`)
        : condition(o, 'RolloutRestart', 'RolloutRestartTriggered', true, 'Rollout restart triggered'));
    }
    this.syncRegistry.delete(uid);
    this.updateStatus(o, status, [...conditions, ...healthConditions(o, 'VaultDynamicSecret', true)]);
    return { requeueMs: horizonMs };
  }

  // ---- VaultPKISecret (vso: controllers/vaultpkisecret_controller.go) ----

  private reconcilePKI(o: KubeObject): Result {
    const spec = o.spec ?? {};
    const prev = o.status ?? {};
    const uid = o.metadata.uid;
    const dest = this.destination(o);
    // Events are Warning while status.valid is not true (vso: recordEvent).
    const record = (valid: boolean | undefined, reason: string, message: string) => this.event(o, valid === true ? 'Normal' : 'Warning', reason, message);
    if (!dest && spec.destination?.create !== true) {
      const horizon = formatGoDuration(horizonWithJitter(REQUEUE_ON_ERROR_MS));
      record(prev.valid, 'K8sClientError', `Kubernetes secret ${JSON.stringify(String(spec.destination?.name ?? ''))} does not exist yet, horizon=${horizon}`);
      this.updateStatus(o, { ...prev, error: 'K8sClientError' }, [syncCondition(o, false, `Failed to sync the secret, horizon=${horizon}, err=K8sClientError`), ...healthConditions(o, 'VaultPKISecret', false)]);
      return { requeueMs: parseHorizon(horizon) };
    }
    const epochSet = prev.lastRotation > 0;
    const offsetMs = parseGoDuration(spec.expiryOffset) ?? 0;
    // The real one only logs the reason (InRenewalWindow when none of these and the window is open).
    const syncReason = !prev.serialNumber ? 'InitialSync'
      : this.syncRegistry.has(uid) ? 'ForceSync'
        : epochSet && o.metadata.generation !== prev.lastGeneration ? 'ResourceUpdated'
          : spec.destination?.create === true && !dest ? 'InexistentDestination'
            : dest && epochSet && macOf(this.hmacKey, dest.data ?? {}) !== prev.secretMAC ? 'SecretDataDrift' : '';
    if (!syncReason) {
      const rotateAt = (prev.expiration ?? 0) * SECOND - offsetMs;
      const horizon = rotateAt - Date.now();
      // Not in the renewal window: nothing is written until it opens.
      if (horizon >= SECOND) return { requeueMs: horizon - Math.random() * 0.05 * horizon };
    }
    const client = this.client(o);
    // No status write and no event here: the status changes the real one makes are not saved on this path.
    if (typeof client === 'string') return { requeueMs: horizonWithJitter(REQUEUE_ON_ERROR_MS) };
    const err = this.vaultError(o, client);
    if (err) {
      const attempt = this.backOffs.get(uid) ?? 0;
      this.backOffs.set(uid, attempt + 1);
      const horizon = formatGoDuration(backOff(attempt));
      record(false, 'K8sClientError', `Failed to issue certificate from Vault: ${err}`);
      this.updateStatus(o, { ...prev, valid: false, error: 'K8sClientError' }, [syncCondition(o, false, `Failed to sync the secret, horizon=${horizon}, err=${err}`), ...healthConditions(o, 'VaultPKISecret', false)]);
      this.syncRegistry.add(uid);
      return { requeueMs: parseHorizon(horizon) };
    }
    this.backOffs.delete(uid);
    const serial = hex(20).match(/../g)!.join(':');
    const ttlMs = parseGoDuration(spec.ttl) ?? 24 * 3_600_000;
    const expiration = epoch() + Math.floor(ttlMs / 1000);
    const data = encode({ certificate: pem('CERTIFICATE', 600), private_key: pem('RSA PRIVATE KEY', 900), issuing_ca: pem('CERTIFICATE', 600), serial_number: serial });
    const secretMAC = macOf(this.hmacKey, data);
    const serr = this.syncSecret(o, dest, data);
    if (serr) {
      const horizon = formatGoDuration(horizonWithJitter(REQUEUE_ON_ERROR_MS));
      this.updateStatus(o, { ...prev, valid: false, secretMAC, error: 'SecretSyncError' }, [syncCondition(o, false, `Secret sync error, horizon=${horizon}`), ...healthConditions(o, 'VaultPKISecret', false)]);
      return { requeueMs: parseHorizon(horizon) };
    }
    const reason = prev.serialNumber ? 'SecretRotated' : 'SecretSynced';
    if (prev.serialNumber) this.rolloutRestart(o);
    const rotateIn = Math.max(SECOND, expiration * SECOND - offsetMs - Date.now());
    const horizonMs = rotateIn + (offsetMs > 0 ? 1 : -1) * Math.random() * 0.05 * rotateIn;
    const horizon = formatGoDuration(horizonMs);
    this.updateStatus(o, { ...prev, valid: true, error: '', secretMAC, serialNumber: serial, expiration, lastRotation: epoch() },
      [syncCondition(o, true, `Secret synced, horizon=${horizon}`), ...healthConditions(o, 'VaultPKISecret', true)]);
    this.syncRegistry.delete(uid);
    record(true, reason, `Secret synced, horizon=${horizon}`);
    return { requeueMs: horizonMs };
  }

  // ---- shared helpers ----

  /** Destination missing and create=false: VSS and VDS only log, and look again in 5 s. */
  private logMissingDestination(o: KubeObject): Result {
    this.logs.push(`${o.metadata.namespace}/${o.metadata.name}: Destination secret does not exist, either create it or set .spec.destination.create=true (destination ${o.spec?.destination?.name})`);
    return { requeueMs: REQUEUE_ON_ERROR_MS };
  }

  private destination(o: KubeObject): KubeObject | undefined {
    return this.store.get(secrets, o.metadata.namespace, String(o.spec?.destination?.name ?? ''));
  }

  /** "name" in `ns`, "other/name", or (empty) "default" in the operator's namespace (vso: common/common.go ParseResourceRef). */
  private parseRef(ref: unknown, ns: string): { namespace: string; name: string } | undefined {
    if (!ref) return { namespace: this.operatorNamespace, name: 'default' };
    const parts = String(ref).split('/');
    if (parts.length > 2) return undefined;
    return parts.length === 2 ? { namespace: parts[0]!, name: parts[1]! } : { namespace: ns, name: parts[0]! };
  }

  /**
   * The client factory: the VaultAuth the secret names (allowed for its namespace), its
   * VaultConnection, and a login; the error text when any fails (vso: common/common.go
   * getVaultAuth, isAllowedNamespace; vault/client_factory.go). The real factory retries a missing
   * VaultAuth for 30 s before failing; here the failure is immediate.
   */
  private client(o: KubeObject): VaultClient | string {
    const target = o.metadata.namespace!;
    const ref = this.parseRef(o.spec?.vaultAuthRef, target);
    if (!ref) return `invalid name: ${o.spec?.vaultAuthRef}`;
    const auth = this.store.get(VSO.VaultAuth, ref.namespace, ref.name);
    if (!auth) return `vaultauths.secrets.hashicorp.com "${ref.name}" not found`;
    const allowed: string[] = Array.isArray(auth.spec?.allowedNamespaces) ? auth.spec.allowedNamespaces : [];
    const ok = ref.namespace === target || (ref.name === 'default' && ref.namespace === this.operatorNamespace)
      || (allowed.length === 1 && allowed[0] === '*') || allowed.includes(target);
    if (!ok) return `target namespace "${target}" is not allowed by kind=VaultAuth obj=${ref.namespace}/${ref.name}, allowedNamespaces=[]`;
    const loginError = this.authErrors.get(`${ref.namespace}/${ref.name}`);
    if (loginError) return loginError;
    const connRef = this.parseRef(auth.spec?.vaultConnectionRef, ref.namespace);
    const conn = connRef && this.store.get(VSO.VaultConnection, connRef.namespace, connRef.name);
    if (!conn) return `vaultconnections.secrets.hashicorp.com "${connRef?.name ?? auth.spec?.vaultConnectionRef}" not found`;
    const h = createHash('sha256').update(`${auth.metadata.uid}/${auth.metadata.generation}/${conn.metadata.uid}/${conn.metadata.generation}`).digest('hex');
    return { cacheKey: `${auth.spec?.method ?? 'kubernetes'}-${h.slice(0, 22)}`, id: h.slice(22, 54), address: String(conn.spec?.address ?? DEFAULT_ADDRESS) };
  }

  /** The Vault request this secret makes, and why it fails (denied, or nothing at a KV path). */
  private vaultError(o: KubeObject, client: VaultClient): string | undefined {
    const { mount, path, role } = o.spec ?? {};
    const kind = o.kind as Kind;
    const [method, key, apiPath] = kind === 'VaultPKISecret' ? ['PUT', `${mount}/issue/${role}`, `${mount}/issue/${role}`]
      : kind === 'VaultStaticSecret' && o.spec?.type !== 'kv-v1' ? ['GET', `${mount}/${path}`, `${mount}/data/${path}`]
        : ['GET', `${mount}/${path}`, `${mount}/${path}`];
    if (this.denied.has(key)) {
      return this.denied.get(key) ?? `Error making API request.\n\nURL: ${method} ${client.address}/v1/${apiPath}\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n`;
    }
    // Dynamic and PKI engines generate on read; only KV paths must hold data (vso: vault/client.go Read).
    if (kind === 'VaultStaticSecret' && !this.kv.has(key)) return `empty response from Vault, path="${apiPath}"`;
    return undefined;
  }

  /**
   * Writes the destination Secret (vso: helpers/secrets.go SyncSecret). create=false: only the data,
   * no labels or owner references (the Secret is the user's). create=true: an existing Secret must
   * carry VSO's owner labels and this object as its only owner; the Secret then gets the
   * destination's labels and annotations, the owner labels and the owner reference.
   */
  private syncSecret(o: KubeObject, dest: KubeObject | undefined, data: Record<string, string>): string | undefined {
    const d = o.spec?.destination ?? {};
    const key = `${o.metadata.namespace}/${d.name}`;
    if (d.create !== true) {
      if (!dest) return `destination secret ${key} does not exist, and create=false`;
      dest.data = data;
      this.store.update(secrets, dest, { checkVersion: false, who: VSO_MANAGER });
      return undefined;
    }
    const refs = [{ apiVersion: API_VERSION, kind: o.kind!, name: o.metadata.name, uid: o.metadata.uid }];
    if (dest && !(d.overwrite === true && !hasOwnerLabels(dest))) {
      const errs: string[] = [];
      for (const [k, v] of Object.entries(OWNER_LABELS)) {
        if (dest.metadata.labels?.[k] !== v) errs.push(`invalid owner label, key=${k}, present=${dest.metadata.labels?.[k] !== undefined}`);
      }
      const owners = dest.metadata.ownerReferences ?? [];
      if (!owners.length) errs.push(`secret ${key} has no ownerReferences`);
      else if (owners.length !== 1 || owners[0]!.uid !== o.metadata.uid || owners[0]!.kind !== o.kind || owners[0]!.name !== o.metadata.name) errs.push('invalid ownerReferences');
      if (errs.length) return [...errs, `not the owner of the destination Secret ${key}`].join('\n');
    }
    const labels = { ...(d.labels ?? {}), ...OWNER_LABELS, [OWNER_UID_LABEL]: o.metadata.uid };
    const meta = { name: d.name, namespace: o.metadata.namespace, labels, ...(d.annotations ? { annotations: d.annotations } : {}), ownerReferences: refs };
    if (!dest) {
      this.store.create(secrets, { apiVersion: 'v1', kind: 'Secret', type: d.type ?? 'Opaque', data, metadata: meta }, VSO_MANAGER);
    } else {
      const { annotations: _drop, ...keep } = dest.metadata;
      dest.metadata = { ...keep, ...meta };
      dest.data = data;
      this.store.update(secrets, dest, { checkVersion: false, who: VSO_MANAGER });
    }
    return undefined;
  }

  /** Restarts each target as `kubectl rollout restart` does; the error text when one fails (vso: helpers/rollout_restart.go). */
  private rolloutRestart(o: KubeObject): string | undefined {
    let err: string | undefined;
    for (const target of o.spec?.rolloutRestartTargets ?? []) {
      const shown = `v1beta1.RolloutRestartTarget{Kind:"${target.kind}", Name:"${target.name}"}`;
      let e: string | undefined;
      if (target.kind !== 'StatefulSet') e = `unsupported Kind "${target.kind}" in kube-sim`;
      else {
        const sts = this.store.get(statefulsets, o.metadata.namespace, target.name);
        if (!sts) e = `failed to Get object for objKey ${o.metadata.namespace}/${target.name}, err=statefulsets.apps "${target.name}" not found`;
        else {
          sts.spec.template ??= {};
          sts.spec.template.metadata ??= {};
          sts.spec.template.metadata.annotations = { ...(sts.spec.template.metadata.annotations ?? {}), 'vso.secrets.hashicorp.com/restartedAt': nowIso() };
          this.store.update(statefulsets, sts, { checkVersion: false, who: VSO_MANAGER });
        }
      }
      if (e) {
        err = e;
        this.event(o, 'Warning', 'RolloutRestartFailed', `Rollout restart failed for target ${shown}: err=${e}`);
      } else {
        this.event(o, 'Normal', 'RolloutRestartTriggered', `Rollout restart triggered for {${target.kind} ${target.name}}`);
      }
    }
    return err;
  }

  /** Status write (the /status subresource), then the finalizer when missing (vso: maybeAddFinalizer, always after the status update). */
  private updateStatus(o: KubeObject, status: Record<string, any>, conditions: Condition[]): void {
    const r = this.resOf(o.kind!);
    const cur = this.store.get(r, o.metadata.namespace, o.metadata.name);
    if (!cur || cur.metadata.uid !== o.metadata.uid) return;
    cur.status = { ...status, ...(o.kind === 'VaultAuth' || o.kind === 'VaultConnection' ? {} : { lastGeneration: o.metadata.generation }), conditions: updateConditions(status.conditions ?? o.status?.conditions, conditions) };
    const written = this.store.update(r, cur, { statusOnly: true, checkVersion: false, who: VSO_MANAGER });
    const finalizer = FINALIZERS[o.kind as Kind];
    if (!written.metadata.deletionTimestamp && !(written.metadata.finalizers ?? []).includes(finalizer)) {
      written.metadata.finalizers = [...(written.metadata.finalizers ?? []), finalizer];
      this.store.update(r, written, { checkVersion: false, who: VSO_MANAGER });
    }
  }

  /** Deletion: the operator's own finalizer comes off; a VDS revokes its lease first (vso: handleDeletion / handleFinalizer). */
  private handleDeletion(r: ResourceDef, o: KubeObject): void {
    const finalizer = FINALIZERS[r.kind as Kind];
    if (!(o.metadata.finalizers ?? []).includes(finalizer)) return;
    if (r === VSO.VaultDynamicSecret && o.status?.secretLease?.id) this.event(o, 'Normal', 'SecretLeaseRevoke', `Lease revoked: ${o.status.secretLease.id}`);
    o.metadata.finalizers = o.metadata.finalizers!.filter((f) => f !== finalizer);
    this.store.update(r, o, { checkVersion: false, who: VSO_MANAGER });
  }

  /**
   * Events as client-go's recorder writes them: source = the controller's recorder name (the kind);
   * a repeat of the same event within 10 minutes bumps count and lastTimestamp of the existing one
   * (client-go tools/record EventCorrelator).
   */
  private event(o: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ns = o.metadata.namespace;
    const t = nowIso();
    const key = JSON.stringify([o.metadata.uid, type, reason, message]);
    const known = this.recorded.get(key);
    const same = known && this.store.get(events, ns, known);
    if (same && Date.now() - Date.parse(same.lastTimestamp) < 600_000) {
      same.count = (same.count ?? 1) + 1;
      same.lastTimestamp = t;
      this.store.update(events, same, { checkVersion: false });
      return;
    }
    const name = `${o.metadata.name}.${hex(8)}`;
    this.recorded.set(key, name);
    this.store.create(events, {
      apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: ns },
      involvedObject: { apiVersion: API_VERSION, kind: o.kind, name: o.metadata.name, namespace: ns, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion },
      reason, message, type, count: 1, firstTimestamp: t, lastTimestamp: t, source: { component: o.kind },
    });
  }
}

const parseHorizon = (text: string) => parseGoDuration(text.replace(/µs$/, 'ms')) ?? REQUEUE_ON_ERROR_MS;
const encode = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]));

/** `_raw` holds the whole Vault response unless transformation.excludeRaw. */
function withRaw(spec: any, data: Record<string, string>): Record<string, string> {
  return spec.destination?.transformation?.excludeRaw === true ? { ...data } : { ...data, _raw: JSON.stringify({ data }) };
}

function randomPassword(n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-';
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}
