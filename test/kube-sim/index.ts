/**
 * kube-sim: a Kubernetes API emulator for tests and the playground, spoken to only over the real
 * wire protocols (HTTP + watch + WebSocket exec/port-forward), so the integration suite runs
 * unchanged against a real cluster.
 *
 * This file is the facade: startKubeSim() wires storage, the API server, the controllers, the pod
 * runtime and the VSO add-on, and returns what tests may use (KubeSim). Shaped like kube-apiserver:
 *   apiserver/   request pipeline (requestInfo, filters, admission, handlers)
 *   registry/    one definition per kind; CRD kinds from CRD objects
 *   storage/     objects, resourceVersions, watch history
 *   controllers/ manager + statefulset, pods, garbage collector, namespace, job
 *   runtime/     pods backed by local processes
 *   addons/vso/  the Vault Secrets Operator stand-in
 *   machinery/   errors (Status), selectors, managedFields, object types
 *   sample.ts    the playground's sample (the only importer of src/)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SNAPSHOT_GROUP } from './addons/snapshots/crds';
import { SnapshotStandIn } from './addons/snapshots/standIn';
import { VsoStandIn, type VsoControls } from './addons/vso';
import { DEFAULT_TOKEN } from './apiserver/filters/authentication';
import { ApiServer, type Rule } from './apiserver/server';
import { ControllerManager } from './controllers/manager';
import { normalizeImage } from './controllers/pods';
import { badRequest } from './machinery/errors';
import type { KubeObject, ObjectInput } from './machinery/types';
import { events, findResource, persistentvolumeclaims, pods, RESOURCES, secrets, statefulsets, type ResourceDef } from './registry';
import { storageclasses } from './registry/others';
import { statefulSetScale } from './registry/scale';
import { Chaos, type FaultKind, type FaultTargets, type FaultOptions, type FiredFault } from './faults';
import { createPodRuntime } from './runtime/index';
import type { PodRuntime, PodRuntimeHost, RuntimeStats } from './runtime/types';
import { Store } from './storage/store';
// Static, not import(): the playground loads kube-sim through tsx's CommonJS loader, where a
// dynamic import of an extensionless path is not resolved.
import { createSample } from './sample';

// What tests use besides a running sim: the VSO sample objects, the local user pods run as, the admin token.
export { createVsoSample } from './addons/vso';
export { DEFAULT_TOKEN } from './apiserver/filters/authentication';
export { podUser } from './runtime/users';
export type { Rule } from './apiserver/server';
export type { FaultKind, FiredFault, FaultOptions } from './faults';
export { FAULT_KINDS } from './faults';
/** How kube-apiserver reads a request (verb, group, resource, subresource, namespace, name): for tests that map API calls to RBAC rules. */
export { newRequestInfo } from './apiserver/requestInfo';
export { DEFAULT_IMAGES } from './controllers/manager';
// The probe helper process, tested on its own (test/unit/kube-sim-prober.test.ts).
export { createProber } from './runtime/prober';
export { unmaskWordwise } from './runtime/wordUnmask';

export interface KubeSimOptions {
  port?: number;
  tls?: boolean;
  dataDir?: string;
  /** A pod runtime; false: pods become Ready without processes (fast API-only tests). Default: the local process runtime when available. */
  runtime?: PodRuntime | false;
  readyDelayMs?: number;
  /** Require this bearer token (401 otherwise). */
  token?: string;
  /** Create namespace devenv (Pod Security restricted) with a sample environment. */
  sample?: boolean;
  /** Images the node "has" besides DEFAULT_IMAGES (controllers/manager.ts); any other image fails to pull (ErrImagePull, ImagePullBackOff). */
  images?: string[];
  /** The node's allocatable cpu and memory (quantities, e.g. '2', '4Gi') and pod count; default 64 cpu, 256Gi, 110 pods. */
  node?: { cpu?: string; memory?: string; pods?: number };
  /** The kubelet's first restart/pull back-off in ms (10 s on a real node; default 1000), doubling up to 8 times it. */
  backoffMs?: number;
  /**
   * How long one second of a probe's periodSeconds/initialDelaySeconds/timeoutSeconds lasts, in ms
   * (default 1000: real time; benchmarks with many pods may slow probes down, tests speed them up).
   */
  probeSecondMs?: number;
  /**
   * The CSI snapshot CRDs (snapshot.storage.k8s.io/v1) and a stand-in snapshot controller: absent by
   * default (a cluster without VolumeSnapshots); true installs them with a default VolumeSnapshotClass
   * `csi-hostpath-snapclass`; { defaultClass: false } installs the CRDs without any class.
   */
  volumeSnapshots?: boolean | { defaultClass?: boolean };
  /** The sshd binary pods run (default /usr/sbin/sshd); a missing one makes pods fail to start, not the sim. */
  sshd?: string;
  /**
   * Devenv pods start their processes (entrypoint, sshd) only when something execs, attaches,
   * port-forwards or probes (runtime/index.ts): thousands of probeless pods cost no process. Default false.
   */
  lazyPods?: boolean;
  /** The seed of sim.faults.inject's random choices (default 1). */
  faultSeed?: number;
}

/**
 * A resource by name, as kubectl takes it: the plural ('secrets'), plural.group
 * ('statefulsets.apps', 'vaultstaticsecrets.secrets.hashicorp.com'), the kind ('VaultStaticSecret'),
 * or a short name (pod, pvc, secret, namespace, statefulset, service, event, job, networkpolicy).
 */
export type ResourceName = string;

/** A request the API server got, as observers of sim.requests see it. */
export interface ObservedRequest {
  method: string;
  /** The path and query as sent (`/api/v1/namespaces/a/secrets?limit=5`). */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The client's port: requests on one kept-alive connection share it. */
  remotePort?: number;
}

/** Sees a request before the API server handles it; may return a function called with the answer's status once it was handled. */
export type RequestObserver = (req: ObservedRequest) => void | ((res: { statusCode: number }) => void);

export interface KubeSim {
  url: string;
  port: number;
  dataDir: string;
  /** The Vault Secrets Operator stand-in and its in-memory Vault. */
  vso: VsoControls & { readonly logs: readonly string[]; settle(): Promise<void> };
  /**
   * Objects read and written straight in storage, bypassing the API (no authentication, admission,
   * defaults or managedFields): for setup and checks a user could not do over the API. Tests that act
   * as a user go through the HTTP API. Reads are copies, typed `any` so tests can reach into them.
   */
  objects: {
    get(resource: ResourceName, ns: string | undefined, name: string): any;
    list(resource: ResourceName, ns?: string): any[];
    create(resource: ResourceName, obj: ObjectInput): any;
    /** Replaces the object; a metadata.resourceVersion in obj must match unless checkVersion is false. */
    update(resource: ResourceName, obj: KubeObject, opts?: { checkVersion?: boolean }): any;
    /** Removes the object at once (no finalizers, no garbage collection); 404 ApiError when absent. */
    delete(resource: ResourceName, ns: string | undefined, name: string): void;
  };
  /** The requests the API server gets, WebSocket upgrades (exec, attach, port-forward: GETs with `Upgrade: websocket`) included. */
  requests: {
    /** Calls fn for every request from now on; returns a function that stops observing. */
    observe(fn: RequestObserver): () => void;
  };
  /** Watch history and watch length (what tests lower to reach 410 Expired or a watch's end). */
  watches: {
    /** How many events the watch history keeps (default 5000); older resourceVersions are 410 Expired. */
    historyLimit: number;
    /** The longest a watch runs, in seconds (default 30). */
    timeoutSeconds: number;
  };
  /**
   * Writes a kubeconfig: the admin context (current; `system:masters`), and with `users` one context
   * per user, named after the user, with that user's bearer token (users not added yet are added).
   */
  writeKubeconfig(file: string, opts?: { context?: string; namespace?: string; user?: string; token?: string; users?: string[] }): void;
  stop(): Promise<void>;
  close(): Promise<void>;
  restart(): Promise<void>;
  /** The API server goes away (connections refused) until online(); state is kept. */
  offline(): Promise<void>;
  online(): Promise<void>;
  faults: {
    failNext(n: number, code: 429 | 500 | 503, match?: { method?: string; pathIncludes?: string }): void;
    /** Drops every pending failNext fault. */
    clear(): void;
    expireWatches(): void;
    compactHistory(): void;
    dropStreams(): void;
    restartPod(ns: string, name: string): void;
    /** Closes the listener (connections and watches cut, connections refused) for downMs, then listens on the same port again. */
    restartApiServer(downMs?: number): Promise<void>;
    /** The next n requests get 429 as API Priority and Fairness answers (plain text, Retry-After: retryAfterSeconds, default 1). */
    burst429(n: number, retryAfterSeconds?: number): void;
    /** Fires a fault (faults.ts): the kind given, or one picked by the seeded PRNG (among o.kinds). */
    inject(kind?: FaultKind, o?: FaultOptions & { kinds?: readonly FaultKind[] }): Promise<FiredFault>;
    /** Restarts the PRNG's sequence. */
    seed(seed: number): void;
    /** The next number in [0, 1) of the same seeded sequence (a soak's own random choices). */
    random(): number;
    /** Every fault inject() fired. */
    readonly log: readonly FiredFault[];
  };
  /** Pods the runtime knows, how many ever ran a process, how many run one now (also GET /debug/kube-sim/runtime). */
  runtimeStats(): RuntimeStats;
  /**
   * kube-apiserver feature gates kube-sim follows, defaults as in 1.32; tests may flip them.
   * AuthorizePodWebsocketUpgradeCreatePermission (1.35 default on): a WebSocket exec/attach/portforward
   * (a GET, authorized as get) also needs create on the subresource.
   */
  featureGates: { AuthorizePodWebsocketUpgradeCreatePermission: boolean };
  /** The authorizer's deny-list, consulted before RBAC: forbid denies verb on resource[/subresource] in group to every user (403 with the real text); clear lifts every rule. */
  authorization: { forbid(rule: Rule): void; clear(): void };
  /**
   * Users recognised by bearer token, each in `system:authenticated` (plus the groups given); RBAC
   * decides what they may do. add() returns the token; token() the token of an added user.
   */
  users: { add(name: string, groupsOrOpts?: string[] | { token?: string; groups?: string[] }): string; token(name: string): string | undefined };
  markPodPending(ns: string, name: string, reason: 'Unschedulable' | 'ImagePullBackOff' | 'CrashLoopBackOff' | 'ErrImagePull', message: string): void;
  emitEvent(ns: string, involved: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Waits until a pod is Ready (Running with Ready=True). */
  waitPodReady(ns: string, name: string, timeoutMs?: number): Promise<void>;
  /** Waits until a StatefulSet's rollout is complete (what `kubectl rollout status` waits for): every replica Ready at the update revision. */
  waitRolledOut(ns: string, name: string, timeoutMs?: number): Promise<void>;
}

const SHORT_NAMES: Record<string, [string, string, string]> = {
  pod: ['', 'v1', 'pods'], pvc: ['', 'v1', 'persistentvolumeclaims'], secret: ['', 'v1', 'secrets'], namespace: ['', 'v1', 'namespaces'],
  statefulset: ['apps', 'v1', 'statefulsets'], service: ['', 'v1', 'services'], event: ['', 'v1', 'events'], job: ['batch', 'v1', 'jobs'],
  networkpolicy: ['networking.k8s.io', 'v1', 'networkpolicies'],
};

/** The registry's kind for a ResourceName; an unknown or ambiguous name throws. */
function resourceByName(name: string): ResourceDef {
  const short = SHORT_NAMES[name.toLowerCase()];
  if (short) return findResource(...short)!;
  const dot = name.indexOf('.');
  const plural = dot < 0 ? name : name.slice(0, dot);
  const group = dot < 0 ? undefined : name.slice(dot + 1);
  let found = RESOURCES.filter((r) => r.plural === plural && (group === undefined || r.group === group));
  if (!found.length && group === undefined) found = RESOURCES.filter((r) => r.kind === name);
  // An unqualified name in several groups: the core group's, as kubectl prefers; otherwise ambiguous.
  const groups = new Set(found.map((r) => r.group));
  const r = groups.size > 1 ? found.find((d) => d.group === '') : found[0];
  if (!r) throw new Error(`kube-sim: unknown or ambiguous resource "${name}" (name it as plural.group)`);
  return r;
}

function selfSignedCert(dir: string): { key: Buffer; cert: Buffer } {
  const key = join(dir, 'tls.key'), cert = join(dir, 'tls.crt');
  if (!existsSync(cert)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
      '-subj', '/CN=kube-sim', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  }
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

export async function startKubeSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'kube-sim-'));
  const ownsData = !opts.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const store = new Store();
  const host: PodRuntimeHost = {
    // A claim's data lives with its volume (pvc-<uid>, what the binder provisions), not its name: a
    // claim deleted and created again under the same name gets a new, empty volume.
    pvcDir: (ns, claim) => {
      const c = store.get(persistentvolumeclaims, ns, claim);
      const volumes = join(dataDir, 'volumes');
      mkdirSync(volumes, { recursive: true });
      chmodSync(volumes, 0o755);
      const d = join(volumes, c?.spec?.volumeName ?? (c ? `pvc-${c.metadata.uid}` : `unbound-${ns}-${claim}`));
      mkdirSync(d, { recursive: true });
      return d;
    },
    secretData: (ns, name) => store.get(secrets, ns, name)?.data ?? (() => {
      const s = store.get(secrets, ns, name);
      if (!s?.stringData) return undefined;
      return Object.fromEntries(Object.entries(s.stringData as Record<string, string>).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    })(),
    getPod: (ns, name) => { const o = store.get(pods, ns, name); return o && { namespace: ns, name, uid: o.metadata.uid, object: o }; },
  };
  const runtime = opts.runtime === false ? undefined : opts.runtime ?? await createPodRuntime(host, { dataDir, sshd: opts.sshd, lazy: opts.lazyPods });
  const runtimeStats = (): RuntimeStats => runtime?.stats?.() ?? { podsKnown: 0, podsStarted: 0, podsRunningProcesses: 0 };
  const controllers = new ControllerManager(store, runtime);
  controllers.readyDelayMs = opts.readyDelayMs ?? 0;
  for (const image of opts.images ?? []) controllers.config.images.add(normalizeImage(image));
  Object.assign(controllers.config.node, opts.node ?? {});
  if (opts.backoffMs !== undefined) controllers.config.backoffMs = opts.backoffMs;
  if (opts.probeSecondMs !== undefined) controllers.config.probeSecondMs = opts.probeSecondMs;
  const api = new ApiServer(store, {
    onDelete: (r, ns, name, o) => controllers.delete(r, ns, name, o),
    scale: (ns, name, replicas) => statefulSetScale(store, ns, name, replicas),
    podLog: (ns, name, o = {}) => {
      const pod = store.get(pods, ns, name);
      const container: string = o.container ?? pod?.spec?.containers?.[0]?.name ?? '';
      const fromRuntime = runtime?.logs?.(ns, name, container, !!o.previous);
      if (o.previous) {
        // The kubelet serves the last terminated run, and 400 when the container never terminated.
        const terminated = pod?.status?.containerStatuses?.find((c: any) => c.name === container)?.lastState?.terminated;
        if (fromRuntime === undefined && !terminated) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
        return fromRuntime ?? '';
      }
      return fromRuntime ?? `kube-sim: logs of ${ns}/${name}\nServer listening on 0.0.0.0 port 2222.\n`;
    },
    upgrade: (kind, req, socket, head, ns, name, query) => {
      if (!runtime) throw new Error('this kube-sim has no pod runtime');
      const view = host.getPod(ns, name)!;
      runtime.handleUpgrade(kind, req, socket, head, view, query);
    },
  });
  api.token = opts.token;
  // Controllers' writes that real controllers make through the API pass admission as their ServiceAccount.
  controllers.admission = (w) => {
    const ns = 'kube-system', user = `system:serviceaccount:${ns}:${w.controller}`;
    api.admission.run({ operation: w.operation, resource: w.resource, namespace: w.namespace, name: w.name, object: structuredClone(w.object) as ObjectInput,
      oldObject: w.oldObject, user: { name: user, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] }, dryRun: false });
  };
  // Controllers first: they see every change before the VSO add-on and before any watch.
  store.subscribe((e) => controllers.onChange(e));
  // A deleted claim's dynamically provisioned volume goes with it (reclaimPolicy Delete, the default).
  store.subscribe((e) => {
    if (e.res !== persistentvolumeclaims || e.type !== 'DELETED') return;
    const cls = e.object.spec?.storageClassName ? store.get(storageclasses, undefined, e.object.spec.storageClassName) : undefined;
    if (cls?.reclaimPolicy === 'Retain') return;
    const dir = join(dataDir, 'volumes', e.object.spec?.volumeName ?? `pvc-${e.object.metadata.uid}`);
    setImmediate(() => rmSync(dir, { recursive: true, force: true }));
  });
  const vso = new VsoStandIn(store, api);
  const snapshots = new SnapshotStandIn(store);
  if (!opts.volumeSnapshots) api.disabledGroups.add(SNAPSHOT_GROUP);
  else if (opts.volumeSnapshots === true || opts.volumeSnapshots.defaultClass !== false) snapshots.createDefaultClass();

  const tls = opts.tls ? selfSignedCert(dataDir) : undefined;
  let server: Server;
  const sockets = new Set<Socket>();
  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    server = tls ? createHttps({ key: tls.key, cert: tls.cert }) : createHttp();
    server.keepAliveTimeout = 5000;
    server.on('request', (req, res) => void handle(req, res));
    server.on('upgrade', (req, socket, head) => { observeUpgrade(req); api.handleUpgrade(req, socket, head); });
    server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const closeServer = () => new Promise<void>((resolve) => {
    api.endWatches();
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  const observers = new Set<RequestObserver>();
  const observed = (req: IncomingMessage): ObservedRequest => {
    const url = new URL(req.url ?? '/', 'http://sim');
    return { method: req.method ?? 'GET', url: req.url ?? '/', path: url.pathname, query: url.searchParams, headers: req.headers, remotePort: req.socket.remotePort };
  };
  // Observers see WebSocket upgrades (exec, attach, port-forward) too; their status callback is not called.
  const observeUpgrade = (req: IncomingMessage) => { if (observers.size) { const seen = observed(req); for (const fn of observers) fn(seen); } };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // Sim-only: how many pods ran processes (benchmarks of thousands of lazy pods read it).
    if (req.url === '/debug/kube-sim/runtime') { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(runtimeStats())); return; }
    if (!observers.size) return api.handle(req, res);
    const url = new URL(req.url ?? '/', 'http://sim');
    const seen: ObservedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', path: url.pathname, query: url.searchParams, headers: req.headers, remotePort: req.socket.remotePort };
    const after = [...observers].map((fn) => fn(seen)).filter((f) => typeof f === 'function');
    await api.handle(req, res);
    for (const f of after) f(res);
  };
  const port = await listen(opts.port ?? 0);
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  const faultTargets: FaultTargets = {
    dropStreams: () => runtime?.dropStreams(),
    pods: (ns) => store.list(pods, ns).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp)
      .map((p) => ({ namespace: p.metadata.namespace!, name: p.metadata.name })),
    restartPod: (ns, name) => { controllers.delete(pods, ns, name, {}); },
    async restartApiServer(downMs) {
      await closeServer();
      await new Promise((r) => setTimeout(r, downMs));
      await listen(port);
    },
    failNext: (n, code, retryAfter) => api.faultInjector.add({ remaining: n, code, ...(code === 429 ? { apfRetryAfter: retryAfter ?? 1 } : {}) }),
  };
  const chaos = new Chaos(faultTargets, opts.faultSeed ?? 1);
  const sim: KubeSim = {
    url, port, dataDir, vso,
    objects: {
      get: (r, ns, name) => store.get(resourceByName(r), ns, name),
      list: (r, ns) => store.list(resourceByName(r), ns),
      create: (r, obj) => store.create(resourceByName(r), obj),
      update: (r, obj, o = {}) => store.update(resourceByName(r), obj, { checkVersion: o.checkVersion }),
      delete: (r, ns, name) => { store.delete(resourceByName(r), ns, name); },
    },
    requests: {
      observe(fn) { observers.add(fn); return () => { observers.delete(fn); }; },
    },
    watches: {
      get historyLimit() { return store.historyLimit; },
      set historyLimit(n: number) { store.historyLimit = n; },
      get timeoutSeconds() { return api.watchTimeoutSeconds; },
      set timeoutSeconds(s: number) { api.watchTimeoutSeconds = s; },
    },
    writeKubeconfig(file, o = {}) {
      const ctx = o.context ?? 'kube-sim';
      const user = o.user ?? 'kube-sim-user';
      const token = o.token ?? opts.token ?? DEFAULT_TOKEN;
      const others = (o.users ?? []).map((name) => ({ name, token: api.authenticator.tokenOf(name) ?? api.addUser(name) }));
      const context = (name: string, u: string) => ['- name: ' + name, '  context:', `    cluster: ${ctx}`, `    user: ${u}`, ...(o.namespace ? [`    namespace: ${o.namespace}`] : [])];
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, [
        'apiVersion: v1', 'kind: Config', `current-context: ${ctx}`,
        'clusters:', `- name: ${ctx}`, '  cluster:', `    server: ${url}`, ...(tls || url.startsWith('http:') ? ['    insecure-skip-tls-verify: true'] : []),
        'users:', `- name: ${user}`, '  user:', `    token: ${token}`,
        ...others.flatMap((u) => [`- name: ${u.name}`, '  user:', `    token: ${u.token}`]),
        'contexts:', ...context(ctx, user), ...others.flatMap((u) => context(u.name, u.name)),
        '',
      ].join('\n'), { mode: 0o600 });
    },
    async stop() {
      controllers.stop();
      vso.stop();
      snapshots.stop();
      await closeServer();
      await runtime?.close().catch(() => {});
      if (ownsData) rmSync(dataDir, { recursive: true, force: true });
    },
    close() { return sim.stop(); },
    async restart() {
      await closeServer();
      await listen(port);
    },
    offline: () => closeServer(),
    async online() { await listen(port); },
    faults: {
      failNext: (n, code, match) => api.faultInjector.add({ remaining: n, code, ...match }),
      clear: () => api.faultInjector.clear(),
      expireWatches: () => { store.compact(); api.endWatches(); },
      compactHistory: () => store.compact(),
      dropStreams: () => runtime?.dropStreams(),
      restartPod: (ns, name) => { controllers.delete(pods, ns, name, {}); },
      restartApiServer: (downMs) => faultTargets.restartApiServer(downMs ?? 300),
      burst429: (n, retryAfterSeconds = 1) => api.faultInjector.add({ remaining: n, code: 429, apfRetryAfter: retryAfterSeconds }),
      inject: (kind, o) => chaos.inject(kind, o),
      seed: (n) => chaos.seed(n),
      random: () => chaos.random(),
      get log() { return chaos.log; },
    },
    runtimeStats,
    featureGates: api.featureGates,
    authorization: { forbid: (rule) => api.authorizer.forbid(rule), clear: () => api.authorizer.clear() },
    users: {
      add: (name, o) => api.addUser(name, Array.isArray(o) ? { groups: o } : o),
      token: (name) => api.authenticator.tokenOf(name),
    },
    markPodPending(ns, name, reason, message) {
      const o = { phase: 'Pending' as const, reason, message, waiting: true };
      controllers.overrides.set(`${ns}/${name}`, o);
      controllers.applyOverride(ns, name, o);
    },
    emitEvent: (ns, involved, type, reason, message) => controllers.event(ns, involved, type, reason, message),
    async waitPodReady(ns, name, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const p = store.get(pods, ns, name);
        if (p?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') && !p.metadata.deletionTimestamp) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      // Say why: the phase, the Ready condition and the last failed probe, if any.
      const p = store.get(pods, ns, name);
      const ready = p?.status?.conditions?.find((c: any) => c.type === 'Ready');
      const probe = store.list(events, ns).filter((e) => e.involvedObject?.name === name && e.reason === 'Unhealthy').pop();
      const why = p ? `phase ${p.status?.phase ?? 'unknown'}${ready?.message ? `, ${ready.message}` : ''}${probe ? `, last probe: ${probe.message}` : ''}` : 'no such pod';
      throw new Error(`kube-sim: pod ${ns}/${name} not ready within ${timeoutMs} ms (${why})`);
    },
    async waitRolledOut(ns, name, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const set = store.get(statefulsets, ns, name);
        const st = set?.status ?? {};
        const want = set?.spec?.replicas ?? 1;
        if (set && st.observedGeneration === set.metadata.generation && st.updatedReplicas === want && st.readyReplicas === want
          && st.replicas === want && st.currentRevision === st.updateRevision) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`kube-sim: statefulset ${ns}/${name} not rolled out within ${timeoutMs} ms`);
    },
  };
  if (opts.sample) await createSample(sim);
  return sim;
}
