import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import yaml from 'js-yaml';
import { KubeConfig, type Cluster as KcCluster, type Context as KcContext, type User as KcUser } from '@kubernetes/client-node';
import { Cluster } from './cluster';
import { TerrariumError } from './errors';

/**
 * kubeconfig discovery like kubectl's: explicit path (setting / --kubeconfig, may be a path list)
 * -> KUBECONFIG (files merged, first file wins per name, current-context from the first file that
 * sets one) -> ~/.kube/config -> in-cluster service account. File system, environment and home
 * directory are injected so every rule is unit-testable.
 */

export interface KubeconfigFs {
  readFileSync(file: string, encoding: 'utf8'): string;
  existsSync(file: string): boolean;
}

export interface DiscoverOptions {
  /** From the terrarium.kubeconfig setting or --kubeconfig; may be a list joined by path.delimiter. */
  explicitPath?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  fs?: KubeconfigFs;
}

export interface ContextInfo {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
  server?: string;
  /** The file that defined this context ("in-cluster" for the service account). */
  source: string;
}

export type KubeconfigOrigin = 'explicit' | 'KUBECONFIG' | 'default' | 'in-cluster';

export interface KubeconfigDiscovery {
  /** Absolute paths of the files that were read, in merge order (empty for in-cluster). */
  sources: string[];
  origin: KubeconfigOrigin;
  contexts: ContextInfo[];
  currentContext?: string;
  /** Things worth telling the user that do not stop Terrarium (skipped entries, insecure TLS, ...). */
  warnings: string[];
  /** The merged entries, in client-node's shapes, for building one KubeConfig per context. */
  merged: { clusters: KcCluster[]; users: KcUser[]; contexts: KcContext[] };
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
export const IN_CLUSTER_CONTEXT = 'in-cluster';

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith(`~${path.sep}`)) return path.join(home, p.slice(2));
  return p;
}

function splitPathList(list: string, home: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of list.split(path.delimiter)) {
    if (!part.trim()) continue;
    const abs = path.resolve(expandHome(part.trim(), home));
    if (!seen.has(abs)) { seen.add(abs); out.push(abs); }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseFile(file: string, text: string): Record<string, any> {
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (e) {
    const mark = (e as { mark?: { line?: number; column?: number } }).mark;
    const reason = (e as { reason?: string }).reason ?? (e as Error).message;
    const at = mark?.line !== undefined ? ` at line ${mark.line + 1}, column ${(mark.column ?? 0) + 1}` : '';
    throw new TerrariumError('BadKubeconfig', `The kubeconfig ${file} is not valid YAML${at}: ${reason}.`,
      'Fix the file (kubectl config view shows what kubectl makes of it) or point the terrarium.kubeconfig setting / --kubeconfig at another file.',
      { cause: e });
  }
  if (doc === undefined || doc === null) return {};
  if (!isObject(doc)) {
    throw new TerrariumError('BadKubeconfig', `The kubeconfig ${file} is not a kubeconfig: its top level is not a mapping.`,
      'Point the terrarium.kubeconfig setting / --kubeconfig at a kubeconfig file (apiVersion: v1, kind: Config).');
  }
  return doc;
}

/** kubectl resolves relative file references against the directory of the kubeconfig that names them. */
function resolveRef(dir: string, p: unknown): string | undefined {
  if (typeof p !== 'string' || !p) return undefined;
  return path.isAbsolute(p) ? p : path.join(dir, p);
}

interface Entries { clusters: KcCluster[]; users: KcUser[]; contexts: KcContext[]; current?: string }

function readEntries(file: string, doc: Record<string, any>, fs: KubeconfigFs, warnings: string[]): Entries {
  const dir = path.dirname(file);
  const list = (key: string): Record<string, any>[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) { warnings.push(`${file}: "${key}" is not a list; ignored.`); return []; }
    return v.filter((e, i) => {
      if (isObject(e) && typeof e.name === 'string' && e.name) return true;
      warnings.push(`${file}: ${key}[${i}] has no name; ignored.`);
      return false;
    });
  };
  const clusters: KcCluster[] = [];
  for (const e of list('clusters')) {
    const c = isObject(e.cluster) ? e.cluster : {};
    if (typeof c.server !== 'string' || !c.server) { warnings.push(`${file}: cluster "${e.name}" has no server; ignored.`); continue; }
    clusters.push({
      name: e.name,
      server: c.server.replace(/\/$/, ''),
      caData: c['certificate-authority-data'],
      caFile: resolveRef(dir, c['certificate-authority']),
      skipTLSVerify: c['insecure-skip-tls-verify'] === true,
      tlsServerName: c['tls-server-name'],
      proxyUrl: c['proxy-url'],
    });
  }
  const users: KcUser[] = [];
  for (const e of list('users')) {
    const u = isObject(e.user) ? e.user : {};
    let token: string | undefined = typeof u.token === 'string' ? u.token : undefined;
    const tokenFile = resolveRef(dir, u['token-file']);
    if (!token && tokenFile) {
      // Read now (trimmed: a trailing newline would be an invalid header value); kubectl gives token precedence.
      try { token = fs.readFileSync(tokenFile, 'utf8').trim(); } catch {
        warnings.push(`${file}: user "${e.name}" names token-file ${tokenFile}, which cannot be read.`);
      }
    }
    users.push({
      name: e.name,
      token,
      certData: u['client-certificate-data'],
      certFile: resolveRef(dir, u['client-certificate']),
      keyData: u['client-key-data'],
      keyFile: resolveRef(dir, u['client-key']),
      exec: u.exec,
      authProvider: u['auth-provider'],
      username: u.username,
      password: u.password,
      impersonateUser: u.as,
    });
  }
  const contexts: KcContext[] = [];
  for (const e of list('contexts')) {
    const c = isObject(e.context) ? e.context : {};
    if (typeof c.cluster !== 'string' || !c.cluster) { warnings.push(`${file}: context "${e.name}" names no cluster; ignored.`); continue; }
    contexts.push({ name: e.name, cluster: c.cluster, user: typeof c.user === 'string' ? c.user : '', namespace: c.namespace || undefined });
  }
  const current = typeof doc['current-context'] === 'string' && doc['current-context'] ? doc['current-context'] : undefined;
  return { clusters, users, contexts, current };
}

function isLoopback(server: string): boolean {
  try {
    const host = new URL(server).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

function inCluster(env: NodeJS.ProcessEnv, fs: KubeconfigFs): KubeconfigDiscovery | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = `${SERVICE_ACCOUNT_DIR}/token`;
  if (!host || !port || !fs.existsSync(tokenFile)) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let namespace: string | undefined;
  try { namespace = fs.readFileSync(`${SERVICE_ACCOUNT_DIR}/namespace`, 'utf8').trim() || undefined; } catch {}
  const cluster: KcCluster = { name: IN_CLUSTER_CONTEXT, server, caFile: `${SERVICE_ACCOUNT_DIR}/ca.crt`, skipTLSVerify: false };
  // client-node's tokenFile provider re-reads the file, so rotated service-account tokens keep working.
  const user: KcUser = { name: IN_CLUSTER_CONTEXT, authProvider: { name: 'tokenFile', config: { tokenFile } } };
  const context: KcContext = { name: IN_CLUSTER_CONTEXT, cluster: cluster.name, user: user.name, namespace };
  return {
    sources: [], origin: 'in-cluster', currentContext: IN_CLUSTER_CONTEXT, warnings: [],
    contexts: [{ name: IN_CLUSTER_CONTEXT, cluster: cluster.name, user: user.name, namespace, server, source: IN_CLUSTER_CONTEXT }],
    merged: { clusters: [cluster], users: [user], contexts: [context] },
  };
}

/** Reads and merges the kubeconfig files the way kubectl does. Throws TerrariumError for what stops everything. */
export function discoverKubeconfig(opts: DiscoverOptions = {}): KubeconfigDiscovery {
  const env = opts.env ?? process.env;
  const home = opts.homeDir ?? os.homedir();
  const fs = opts.fs ?? nodeFs;
  const warnings: string[] = [];
  let files: string[];
  let origin: KubeconfigOrigin;

  if (opts.explicitPath?.trim()) {
    origin = 'explicit';
    files = splitPathList(opts.explicitPath, home);
    const missing = files.filter((f) => !fs.existsSync(f));
    if (missing.length) {
      throw new TerrariumError('NoKubeconfig', `The kubeconfig file ${missing.join(', ')} does not exist.`,
        'Fix the path in the terrarium.kubeconfig setting or --kubeconfig, or clear it to use KUBECONFIG or ~/.kube/config.');
    }
  } else if (env.KUBECONFIG?.trim()) {
    origin = 'KUBECONFIG';
    const listed = splitPathList(env.KUBECONFIG, home);
    // kubectl skips KUBECONFIG entries that do not exist; so do we, but say so.
    files = listed.filter((f) => fs.existsSync(f));
    for (const f of listed) if (!files.includes(f)) warnings.push(`KUBECONFIG names ${f}, which does not exist; skipped.`);
    if (!files.length) {
      throw new TerrariumError('NoKubeconfig', `None of the files in KUBECONFIG exist (${listed.join(path.delimiter)}).`,
        'Fix the KUBECONFIG environment variable, or point the terrarium.kubeconfig setting / --kubeconfig at a kubeconfig file.');
    }
  } else {
    const def = path.join(home, '.kube', 'config');
    if (fs.existsSync(def)) {
      origin = 'default';
      files = [def];
    } else {
      const cluster = inCluster(env, fs);
      if (cluster) return cluster;
      throw new TerrariumError('NoKubeconfig',
        `No kubeconfig found: no terrarium.kubeconfig setting or --kubeconfig, KUBECONFIG is not set, ${def} does not exist, and this is not a pod in a cluster.`,
        'Point the terrarium.kubeconfig setting (or --kubeconfig) at a kubeconfig file, or set KUBECONFIG.');
    }
  }

  const clusters = new Map<string, KcCluster>();
  const users = new Map<string, KcUser>();
  const contexts = new Map<string, KcContext & { source: string }>();
  const firstFrom = new Map<string, string>();
  let currentContext: string | undefined;
  for (const file of files) {
    const entries = readEntries(file, parseFile(file, fs.readFileSync(file, 'utf8')), fs, warnings);
    const merge = <T extends { name: string }>(kind: string, into: Map<string, T>, items: T[]) => {
      for (const item of items) {
        const key = `${kind}/${item.name}`;
        if (into.has(item.name)) {
          const first = firstFrom.get(key)!;
          warnings.push(first === file
            ? `${file} defines ${kind} "${item.name}" more than once; the first one is used.`
            : `${kind} "${item.name}" in ${file} is ignored: ${first} defines it first (kubectl does the same).`);
          continue;
        }
        into.set(item.name, item);
        firstFrom.set(key, file);
      }
    };
    merge('cluster', clusters, entries.clusters);
    merge('user', users, entries.users);
    merge('context', contexts, entries.contexts.map((c) => ({ ...c, source: file })));
    currentContext ??= entries.current;
  }

  for (const c of clusters.values()) {
    if (c.skipTLSVerify && !isLoopback(c.server)) {
      const usedBy = [...contexts.values()].filter((x) => x.cluster === c.name).map((x) => `"${x.name}"`);
      warnings.push(`Cluster "${c.name}" (${c.server}${usedBy.length ? `, context ${usedBy.join(', ')}` : ''}) sets insecure-skip-tls-verify: anyone on the network path can impersonate this API server and capture your credentials. Set certificate-authority-data instead.`);
    }
  }
  if (!contexts.size) warnings.push(`${files.join(', ')} define${files.length === 1 ? 's' : ''} no contexts.`);

  return {
    sources: files,
    origin,
    currentContext,
    warnings,
    contexts: [...contexts.values()].map((c) => ({
      name: c.name, cluster: c.cluster, user: c.user, namespace: c.namespace, server: clusters.get(c.cluster)?.server, source: c.source,
    })),
    merged: {
      clusters: [...clusters.values()],
      users: [...users.values()],
      contexts: [...contexts.values()].map(({ source: _source, ...c }) => c),
    },
  };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Context names close to `name`: same ignoring case, containing it, or a few typos away. */
export function closeNames(name: string, candidates: string[]): string[] {
  const lower = name.toLowerCase();
  const scored = candidates
    .map((c) => {
      const l = c.toLowerCase();
      const d = l === lower ? 0 : l.includes(lower) || lower.includes(l) ? 1 : editDistance(lower, l);
      return { c, d };
    })
    .filter(({ d }) => d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  return scored.slice(0, 3).map(({ c }) => c);
}

function describeSources(d: KubeconfigDiscovery): string {
  if (d.origin === 'in-cluster') return 'the in-cluster service account';
  return d.sources.length === 1 ? d.sources[0]! : `the merged kubeconfig (${d.sources.join(path.delimiter)})`;
}

function available(d: KubeconfigDiscovery): string {
  return d.contexts.map((c) => c.name).join(', ');
}

/** Picks the context to use and explains, with the choices, when that is not possible. */
export function resolveContext(d: KubeconfigDiscovery, wanted?: string): KcContext {
  const where = describeSources(d);
  if (!d.merged.contexts.length) {
    throw new TerrariumError('NoContext', `${capitalizeFirst(where)} defines no contexts.`,
      'Add one (kubectl config set-context NAME --cluster=... --user=...) or point the terrarium.kubeconfig setting / --kubeconfig at another file.');
  }
  const pickHint = `Pick one with --context NAME (or the terrarium.context setting), or make one current: kubectl config use-context NAME.`;
  if (wanted) {
    const found = d.merged.contexts.find((c) => c.name === wanted);
    if (found) return found;
    const close = closeNames(wanted, d.contexts.map((c) => c.name));
    throw new TerrariumError('NoContext',
      `There is no context "${wanted}" in ${where}.${close.length ? ` Did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : ''} Available contexts: ${available(d)}.`,
      pickHint);
  }
  if (!d.currentContext) {
    throw new TerrariumError('NoContext',
      `No current context is set in ${where} and none was given. Available contexts: ${available(d)}.`,
      pickHint);
  }
  const current = d.merged.contexts.find((c) => c.name === d.currentContext);
  if (!current) {
    throw new TerrariumError('NoContext',
      `The current context "${d.currentContext}" is not defined in ${where}. Available contexts: ${available(d)}.`,
      pickHint);
  }
  return current;
}

function capitalizeFirst(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/**
 * A fresh KubeConfig holding only this context, its cluster and its user, with the context current.
 * Never switch the current context of a shared KubeConfig (credentials follow the current context).
 */
export function kubeConfigFor(d: KubeconfigDiscovery, contextName?: string): KubeConfig {
  const context = resolveContext(d, contextName);
  const cluster = d.merged.clusters.find((c) => c.name === context.cluster);
  if (!cluster) {
    throw new TerrariumError('BadKubeconfig',
      `Context "${context.name}" refers to cluster "${context.cluster}", which is not defined in ${describeSources(d)}.`,
      'Fix the context (kubectl config set-context) or add the cluster entry.');
  }
  const user = d.merged.users.find((u) => u.name === context.user);
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster }],
    // A context without a (known) user talks to the cluster anonymously, as kubectl does.
    users: [user ? { ...user } : { name: context.user || 'anonymous' }],
    contexts: [{ ...context, user: user ? context.user : context.user || 'anonymous' }],
    currentContext: context.name,
  });
  return kc;
}

export interface OpenClusterOptions {
  /** The terrarium.kubeconfig setting or --kubeconfig (may be a path list). */
  kubeconfigPath?: string;
  /** Default: the kubeconfig's current context. */
  context?: string;
  /** Default: "devenv". */
  namespace?: string;
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  fs?: KubeconfigFs;
  /** Reuse an earlier discovery instead of reading the files again. */
  discovery?: KubeconfigDiscovery;
}

export const DEFAULT_NAMESPACE = 'devenv';

/** One Cluster (its own KubeConfig) for a context; the namespace defaults to "devenv". */
export function openCluster(opts: OpenClusterOptions = {}): Cluster {
  const d = opts.discovery ?? discoverKubeconfig({ explicitPath: opts.kubeconfigPath, env: opts.env, homeDir: opts.homeDir, fs: opts.fs });
  const kc = kubeConfigFor(d, opts.context);
  return new Cluster(kc, kc.getCurrentContext(), opts.namespace || DEFAULT_NAMESPACE, kubeconfigPathForProxy(d));
}

/**
 * The --kubeconfig value for a child process (ssh's ProxyCommand running `terrarium ssh-proxy`)
 * that must reach the same cluster: the files actually read, absolute, joined by path.delimiter.
 * Undefined for in-cluster config, which the child discovers by itself. Pair it with --context.
 */
export function kubeconfigPathForProxy(src: KubeconfigDiscovery | Cluster): string | undefined {
  if (src instanceof Cluster) return src.kubeconfigPath;
  return src.sources.length ? src.sources.join(path.delimiter) : undefined;
}
