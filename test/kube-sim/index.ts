/**
 * kube-sim: a Kubernetes API emulator for tests and the playground, spoken to only over the real
 * wire protocols (HTTP + watch + WebSocket exec/port-forward), so the integration suite runs
 * unchanged against a real cluster.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { Controllers, RES } from './controllers';
import { findResource, type ResourceDef } from './resources';
import { ApiServer, type Rule } from './server';
import { Store } from './store';
import { createVsoSample, VsoStandIn } from './vso';
import { createPodRuntime } from './runtime/index';
import { openCluster } from '../../src/core/kube/kubeconfig';
import { createEnvironment } from '../../src/core/devenv';
import type { PodRuntime, PodRuntimeHost } from './runtime/types';

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
}

export interface KubeSim {
  url: string;
  port: number;
  dataDir: string;
  store: Store;
  api: ApiServer;
  controllers: Controllers;
  /** The Vault Secrets Operator stand-in and its in-memory Vault. */
  vso: VsoStandIn;
  writeKubeconfig(file: string, opts?: { context?: string; namespace?: string; user?: string; token?: string }): void;
  stop(): Promise<void>;
  close(): Promise<void>;
  restart(): Promise<void>;
  /** The API server goes away (connections refused) until online(); state is kept. */
  offline(): Promise<void>;
  online(): Promise<void>;
  faults: {
    failNext(n: number, code: 429 | 500 | 503, match?: { method?: string; pathIncludes?: string }): void;
    expireWatches(): void;
    compactHistory(): void;
    dropStreams(): void;
    restartPod(ns: string, name: string): void;
  };
  forbid(rule: Rule): void;
  get(kind: string, ns: string | undefined, name: string): any;
  markPodPending(ns: string, name: string, reason: 'Unschedulable' | 'ImagePullBackOff' | 'CrashLoopBackOff' | 'ErrImagePull', message: string): void;
  emitEvent(ns: string, involved: any, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Waits until a pod is Ready (Running with Ready=True). */
  waitPodReady(ns: string, name: string, timeoutMs?: number): Promise<void>;
}

function resourceByName(kind: string): ResourceDef {
  const map: Record<string, [string, string, string]> = {
    pod: ['', 'v1', 'pods'], pvc: ['', 'v1', 'persistentvolumeclaims'], secret: ['', 'v1', 'secrets'], namespace: ['', 'v1', 'namespaces'],
    statefulset: ['apps', 'v1', 'statefulsets'], service: ['', 'v1', 'services'], event: ['', 'v1', 'events'], job: ['batch', 'v1', 'jobs'],
    networkpolicy: ['networking.k8s.io', 'v1', 'networkpolicies'],
  };
  const k = map[kind.toLowerCase()];
  const r = k ? findResource(...k) : undefined;
  if (!r) throw new Error(`kube-sim: unknown kind ${kind}`);
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

async function loadRuntime(host: PodRuntimeHost, dataDir: string): Promise<PodRuntime | undefined> {
  return createPodRuntime(host, { dataDir });
}

export async function startKubeSim(opts: KubeSimOptions = {}): Promise<KubeSim> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'kube-sim-'));
  const ownsData = !opts.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const store = new Store();
  const host: PodRuntimeHost = {
    pvcDir: (ns, claim) => { const d = join(dataDir, 'pvcs', ns, claim); mkdirSync(d, { recursive: true }); return d; },
    secretData: (ns, name) => store.get(RES.secrets, ns, name)?.data ?? (() => {
      const s = store.get(RES.secrets, ns, name);
      if (!s?.stringData) return undefined;
      return Object.fromEntries(Object.entries(s.stringData as Record<string, string>).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    })(),
    getPod: (ns, name) => { const o = store.get(RES.pods, ns, name); return o && { namespace: ns, name, uid: o.metadata.uid, object: o }; },
  };
  const runtime = opts.runtime === false ? undefined : opts.runtime ?? await loadRuntime(host, dataDir);
  const controllers = new Controllers(store, runtime);
  controllers.readyDelayMs = opts.readyDelayMs ?? 0;
  const api = new ApiServer(store, {
    beforeWrite: (r, obj, old) => {
      if (r === RES.secrets && obj.stringData) {
        obj.data = { ...(obj.data ?? {}), ...Object.fromEntries(Object.entries(obj.stringData as Record<string, string>).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')])) };
        delete obj.stringData;
      }
      controllers.beforeWrite(r, obj);
      void old;
    },
    onDelete: (r, ns, name, o) => controllers.delete(r, ns, name, o),
    scale: (ns, name, replicas) => {
      let sts = store.mustGet(RES.sts, ns, name);
      if (replicas !== undefined && replicas !== sts.spec.replicas) {
        sts.spec.replicas = replicas;
        sts = store.update(RES.sts, sts, { checkVersion: false });
      }
      return {
        kind: 'Scale', apiVersion: 'autoscaling/v1',
        metadata: { name, namespace: ns, uid: sts.metadata.uid, resourceVersion: sts.metadata.resourceVersion, creationTimestamp: sts.metadata.creationTimestamp },
        spec: { replicas: sts.spec.replicas }, status: { replicas: sts.status?.replicas ?? 0, selector: Object.entries(sts.spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
      };
    },
    podLog: (ns, name) => `kube-sim: logs of ${ns}/${name}\nServer listening on 0.0.0.0 port 2222.\n`,
    upgrade: (kind, req, socket, head, ns, name, query) => {
      if (!runtime) throw new Error('this kube-sim has no pod runtime');
      const view = host.getPod(ns, name)!;
      runtime.handleUpgrade(kind, req, socket, head, view, query);
    },
  });
  api.token = opts.token;
  store.subscribe((e) => controllers.onChange(e.res, e.type, e.object));
  const vso = new VsoStandIn(store, api);

  const tls = opts.tls ? selfSignedCert(dataDir) : undefined;
  let server: Server;
  const sockets = new Set<Socket>();
  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    server = tls ? createHttps({ key: tls.key, cert: tls.cert }) : createHttp();
    server.keepAliveTimeout = 5000;
    server.on('request', (req, res) => void api.handle(req, res));
    server.on('upgrade', (req, socket, head) => api.handleUpgrade(req, socket, head));
    server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const closeServer = () => new Promise<void>((resolve) => {
    api.endWatches();
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  const port = await listen(opts.port ?? 0);
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  const sim: KubeSim = {
    url, port, dataDir, store, api, controllers, vso,
    writeKubeconfig(file, o = {}) {
      const ctx = o.context ?? 'kube-sim';
      const user = o.user ?? 'kube-sim-user';
      const token = o.token ?? opts.token ?? 'kube-sim-token';
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, [
        'apiVersion: v1', 'kind: Config', `current-context: ${ctx}`,
        'clusters:', `- name: ${ctx}`, '  cluster:', `    server: ${url}`, ...(tls || url.startsWith('http:') ? ['    insecure-skip-tls-verify: true'] : []),
        'users:', `- name: ${user}`, '  user:', `    token: ${token}`,
        'contexts:', `- name: ${ctx}`, '  context:', `    cluster: ${ctx}`, `    user: ${user}`, ...(o.namespace ? [`    namespace: ${o.namespace}`] : []),
        '',
      ].join('\n'), { mode: 0o600 });
    },
    async stop() {
      controllers.stop();
      vso.stop();
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
      failNext: (n, code, match) => api.faults.push({ remaining: n, code, ...match }),
      expireWatches: () => { store.compact(); api.endWatches(); },
      compactHistory: () => store.compact(),
      dropStreams: () => runtime?.dropStreams(),
      restartPod: (ns, name) => { controllers.delete(RES.pods, ns, name, {}); },
    },
    forbid: (rule) => api.forbidden.push(rule),
    get: (kind, ns, name) => store.get(resourceByName(kind), ns, name),
    markPodPending(ns, name, reason, message) {
      const o = { phase: reason === 'Unschedulable' ? 'Pending' as const : 'Pending' as const, reason, message, waiting: true };
      controllers.overrides.set(`${ns}/${name}`, o);
      controllers.applyOverride(ns, name, o);
    },
    emitEvent: (ns, involved, type, reason, message) => controllers.event(ns, involved, type, reason, message),
    async waitPodReady(ns, name, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const p = store.get(RES.pods, ns, name);
        if (p?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') && !p.metadata.deletionTimestamp) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`kube-sim: pod ${ns}/${name} not ready within ${timeoutMs} ms`);
    },
  };
  if (opts.sample) await createSample(sim);
  return sim;
}

/** The playground's sample: namespace devenv (Pod Security restricted), environment "sample" with 2 sandboxes, and VSO secrets. */
async function createSample(sim: KubeSim): Promise<void> {
  const file = join(sim.dataDir, 'sample-kubeconfig');
  sim.writeKubeconfig(file, { namespace: 'devenv' });
  const cluster = openCluster({ kubeconfigPath: file, namespace: 'devenv', env: {} });
  await createEnvironment(cluster, { name: 'sample', replicas: 2, image: 'terrarium/devenv:dev' });
  await createVsoSample(sim, 'devenv', 'sample');
}
