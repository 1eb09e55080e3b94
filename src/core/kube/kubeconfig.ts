import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import yaml from 'js-yaml';
import { KubeConfig, type Cluster as KcCluster, type Context as KcContext, type User as KcUser } from '@kubernetes/client-node';
import { Cluster } from './cluster';
import { reuseConnections } from './connections';
import { TerrariumError } from './errors';
import { hasControlChars } from '../text/controlChars';
import { validateNamespace } from '../devenv/validate';
import { redact } from '../redact';

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

/**
 * Something about a context the user should know each time it is used, without stopping Terrarium:
 * its cluster skips TLS verification, or its user runs a credential plugin. Front ends show each
 * once per context (CLI: stderr; extension: notification / log).
 */
export interface SecurityNotice {
  kind: 'insecure-tls' | 'exec-plugin';
  context: string;
  /** One line, every kubeconfig-controlled string escaped. */
  message: string;
  /** The kubeconfig file that holds the entry to fix (for "Open kubeconfig"). */
  file?: string;
  /** exec-plugin only: the command and its arguments, escaped and with credential-looking values redacted. */
  command?: string;
}

/** Why a context cannot be used; turned into a TerrariumError when someone selects it. */
export interface Refusal { message: string; hint: string }

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
  /**
   * Contexts that exist but must not be used, by their raw name (never print the key; the message
   * is escaped). Those with control characters are also left out of `contexts`; those whose user
   * needs a removed auth-provider stay listed and fail with this message when opened.
   */
  refused: Map<string, Refusal>;
  /** Per-context notices (insecure TLS, exec plugins); see noticesFor(). */
  notices: SecurityNotice[];
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

// ---- Hostile text: nothing a kubeconfig controls reaches an ssh config line, a terminal or a shell.

export { hasControlChars };

/**
 * A kubeconfig string for a message: quoted, with control characters (C0, DEL, C1) escaped, and
 * long ones cut, so it can neither break a line nor drive a terminal.
 */
export function quoted(s: string): string {
  const cut = s.length > 100 ? `${s.slice(0, 100)}…` : s;
  return JSON.stringify(cut).replace(/[\x7f-\x9f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The same string as a bash/zsh ANSI-C word ($'...'), for a command the user can paste. */
function shellWord(s: string): string {
  if (/^[A-Za-z0-9_.:@%+=/-]+$/.test(s)) return s;
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return `$'${s.replace(/[\\']/g, '\\$&').replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

/**
 * What kubectl 1.26+ says for the legacy auth-providers it removed (client-go's plugin/pkg/client/auth
 * gcp and azure stubs). client-node still runs gcp's and azure's `cmd-path` + `cmd-args` through a
 * shell (gcp_auth.js / azure_auth.js: child_process.execSync of one string), so a kubeconfig line
 * would become a shell command: Terrarium never hands an auth-provider to client-node.
 */
function authProviderRefusal(name: string, userName: string, file: string): Refusal {
  const where = `user ${quoted(userName)} in ${file}`;
  if (name === 'gcp') {
    return {
      message: `The gcp auth plugin has been removed (${where} uses it). Please use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.`,
      hint: 'Install it (gcloud components install gke-gcloud-auth-plugin) and run "gcloud container clusters get-credentials CLUSTER" to rewrite the user with an exec plugin.',
    };
  }
  if (name === 'azure') {
    return {
      message: `The azure auth plugin has been removed (${where} uses it). Please use the https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead.`,
      hint: 'Install kubelogin and run "kubelogin convert-kubeconfig" to rewrite the user with an exec plugin.',
    };
  }
  if (name === 'oidc') {
    // client-node's oidc provider runs no command, but it refreshes tokens itself against an issuer the
    // kubeconfig names; one path for credentials (exec plugins) is easier to reason about and to audit.
    return {
      message: `Terrarium does not run the oidc auth-provider (${where} uses it). Please use an OIDC kubectl/client-go credential plugin instead, such as kubelogin (kubectl oidc-login).`,
      hint: 'Install https://github.com/int128/kubelogin and change the user to "exec: {command: kubectl, args: [oidc-login, get-token, --oidc-issuer-url=..., --oidc-client-id=...]}" (its README shows the kubectl config set-credentials command).',
    };
  }
  return {
    message: `The ${quoted(name)} auth plugin is not supported (${where} uses it): Terrarium runs no legacy auth-provider plugins, as kubectl 1.26+ does not.`,
    hint: 'Use a kubectl/client-go credential plugin (users[].user.exec) for this cluster instead.',
  };
}

/** A credential-looking flag whose value must not be logged: --token, --client-secret, --password, --api-key ... */
const SECRET_FLAG = /^--?[\w-]*(token|secret|password|passwd|key)$/i;

/** `cmd arg ...` for the log: each word escaped, values after credential-looking flags redacted. */
export function describeCommand(command: string, args: string[]): string {
  const words: string[] = [command];
  let hideNext = false;
  for (const a of args) {
    if (hideNext) { words.push('[redacted]'); hideNext = false; continue; }
    const eq = /^(--?[\w-]+)=/.exec(a);
    if (eq && SECRET_FLAG.test(eq[1]!)) { words.push(`${eq[1]}=[redacted]`); continue; }
    if (SECRET_FLAG.test(a)) hideNext = true;
    words.push(a);
  }
  return redact(words.map((w) => (/^[\w./:@%+=,[\]-]+$/.test(w) ? w : quoted(w))).join(' '));
}

type ClusterEntry = KcCluster & { refusal?: Refusal };
type UserEntry = KcUser & { refusal?: Refusal; execCommand?: string };
interface Entries { clusters: ClusterEntry[]; users: UserEntry[]; contexts: KcContext[]; current?: string }

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
  // A file reference or URL with a control character: refuse the entry that names it.
  const badText = (kind: string, name: string, fields: [string, unknown][]): Refusal | undefined => {
    const bad = fields.filter(([, v]) => typeof v === 'string' && hasControlChars(v)).map(([k]) => k);
    if (!bad.length) return undefined;
    return {
      message: `The ${kind} ${quoted(name)} in ${file} has a control character in ${bad.join(', ')}, which Terrarium refuses.`,
      hint: `Edit ${file} and fix ${bad.join(', ')} of that ${kind} (kubectl config view shows the entry).`,
    };
  };
  const clusters: ClusterEntry[] = [];
  for (const e of list('clusters')) {
    const c = isObject(e.cluster) ? e.cluster : {};
    if (typeof c.server !== 'string' || !c.server) { warnings.push(`${file}: cluster ${quoted(e.name)} has no server; ignored.`); continue; }
    clusters.push({
      name: e.name,
      server: c.server.replace(/\/$/, ''),
      caData: c['certificate-authority-data'],
      caFile: resolveRef(dir, c['certificate-authority']),
      skipTLSVerify: c['insecure-skip-tls-verify'] === true,
      tlsServerName: c['tls-server-name'],
      proxyUrl: c['proxy-url'],
      refusal: badText('cluster', e.name, [['server', c.server], ['certificate-authority', c['certificate-authority']],
        ['tls-server-name', c['tls-server-name']], ['proxy-url', c['proxy-url']]]),
    });
  }
  const users: UserEntry[] = [];
  for (const e of list('users')) {
    const u = isObject(e.user) ? e.user : {};
    const authProvider = u['auth-provider'];
    if (authProvider !== undefined) {
      // Keep only the name and the reason: client-node never sees the provider's config.
      const name = isObject(authProvider) && typeof authProvider.name === 'string' ? authProvider.name : '';
      users.push({ name: e.name, refusal: authProviderRefusal(name, e.name, file) });
      continue;
    }
    const exec = isObject(u.exec) ? u.exec : undefined;
    const refusal = badText('user', e.name, [['client-certificate', u['client-certificate']], ['client-key', u['client-key']],
      ['token-file', u['token-file']], ['exec.command', exec?.command]]);
    if (refusal) { users.push({ name: e.name, refusal }); continue; }
    let token: string | undefined = typeof u.token === 'string' ? u.token : undefined;
    const tokenFile = resolveRef(dir, u['token-file']);
    if (!token && tokenFile) {
      // Read now (trimmed: a trailing newline would be an invalid header value); kubectl gives token precedence.
      try { token = fs.readFileSync(tokenFile, 'utf8').trim(); } catch {
        warnings.push(`${file}: user ${quoted(e.name)} names token-file ${tokenFile}, which cannot be read.`);
      }
    }
    const execArgs = Array.isArray(exec?.args) ? exec!.args.filter((a: unknown): a is string => typeof a === 'string') : [];
    users.push({
      name: e.name,
      token,
      certData: u['client-certificate-data'],
      certFile: resolveRef(dir, u['client-certificate']),
      keyData: u['client-key-data'],
      keyFile: resolveRef(dir, u['client-key']),
      exec: u.exec,
      username: u.username,
      password: u.password,
      impersonateUser: u.as,
      execCommand: typeof exec?.command === 'string' && exec.command ? describeCommand(exec.command, execArgs) : undefined,
    });
  }
  const contexts: KcContext[] = [];
  for (const e of list('contexts')) {
    const c = isObject(e.context) ? e.context : {};
    if (typeof c.cluster !== 'string' || !c.cluster) { warnings.push(`${file}: context ${quoted(e.name)} names no cluster; ignored.`); continue; }
    contexts.push({ name: e.name, cluster: c.cluster, user: typeof c.user === 'string' ? c.user : '', namespace: typeof c.namespace === 'string' && c.namespace ? c.namespace : undefined });
  }
  const current = typeof doc['current-context'] === 'string' && doc['current-context'] ? doc['current-context'] : undefined;
  return { clusters, users, contexts, current };
}

/**
 * Why a context must be left out: a control character in its name or in the cluster, user or
 * namespace it names. These reach ssh config lines, ProxyCommands and terminals.
 */
function controlCharRefusal(c: KcContext, file: string): Refusal | undefined {
  if (hasControlChars(c.name)) {
    return {
      message: `The context ${quoted(c.name)} in ${file} has a control character in its name, which Terrarium refuses: such a name could add lines to an ssh config or drive a terminal.`,
      hint: `Rename it: kubectl config rename-context ${shellWord(c.name)} NEW-NAME (or edit ${file}).`,
    };
  }
  const bad = ([['cluster', c.cluster], ['user', c.user], ['namespace', c.namespace]] as const)
    .filter(([, v]) => typeof v === 'string' && hasControlChars(v)).map(([k]) => k);
  if (!bad.length) return undefined;
  return {
    message: `The context ${quoted(c.name)} in ${file} names a ${bad.join(', ')} with a control character, which Terrarium refuses.`,
    hint: `Edit ${file} and rename that ${bad.join(', ')} (kubectl config set-context ${shellWord(c.name)} --${bad[0]}=NAME).`,
  };
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
  if (namespace !== undefined && !isNamespaceName(namespace)) namespace = undefined;
  const cluster: KcCluster = { name: IN_CLUSTER_CONTEXT, server, caFile: `${SERVICE_ACCOUNT_DIR}/ca.crt`, skipTLSVerify: false };
  // client-node's tokenFile provider re-reads the file, so rotated service-account tokens keep working.
  const user: KcUser = { name: IN_CLUSTER_CONTEXT, authProvider: { name: 'tokenFile', config: { tokenFile } } };
  const context: KcContext = { name: IN_CLUSTER_CONTEXT, cluster: cluster.name, user: user.name, namespace };
  return {
    sources: [], origin: 'in-cluster', currentContext: IN_CLUSTER_CONTEXT, warnings: [],
    contexts: [{ name: IN_CLUSTER_CONTEXT, cluster: cluster.name, user: user.name, namespace, server, source: IN_CLUSTER_CONTEXT }],
    merged: { clusters: [cluster], users: [user], contexts: [context] },
    refused: new Map(), notices: [],
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

  for (const f of files) {
    // These paths go to child processes (ssh's ProxyCommand) and into messages.
    if (hasControlChars(f)) {
      throw new TerrariumError('BadKubeconfig', `The kubeconfig path ${quoted(f)} has a control character, which Terrarium refuses.`,
        `Rename the file and fix ${origin === 'KUBECONFIG' ? 'the KUBECONFIG environment variable' : 'the terrarium.kubeconfig setting or --kubeconfig'}.`);
    }
  }

  const clusters = new Map<string, ClusterEntry>();
  const users = new Map<string, UserEntry>();
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
            ? `${file} defines ${kind} ${quoted(item.name)} more than once; the first one is used.`
            : `${kind} ${quoted(item.name)} in ${file} is ignored: ${first} defines it first (kubectl does the same).`);
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

  // Contexts that cannot be used: left out (control characters) or kept but refused when opened.
  const refused = new Map<string, Refusal>();
  const usable: (KcContext & { source: string })[] = [];
  for (const entry of contexts.values()) {
    const c = { ...entry };
    const bad = controlCharRefusal(c, c.source);
    if (bad) {
      refused.set(c.name, bad);
      warnings.push(`${bad.message} It is left out.`);
      continue;
    }
    if (c.namespace !== undefined && !isNamespaceName(c.namespace)) {
      warnings.push(`Context ${quoted(c.name)} in ${c.source} sets namespace ${quoted(c.namespace)}, which is not a valid namespace name; ignored.`);
      c.namespace = undefined;
    }
    const entryRefusal = clusters.get(c.cluster)?.refusal ?? users.get(c.user)?.refusal;
    if (entryRefusal) refused.set(c.name, entryRefusal);
    usable.push(c);
  }

  const notices: SecurityNotice[] = [];
  for (const c of clusters.values()) {
    if (c.skipTLSVerify && !isLoopback(c.server)) {
      const usedBy = usable.filter((x) => x.cluster === c.name).map((x) => quoted(x.name));
      warnings.push(`Cluster ${quoted(c.name)} (${quoted(c.server).slice(1, -1)}${usedBy.length ? `, context ${usedBy.join(', ')}` : ''}) sets insecure-skip-tls-verify: anyone on the network path can impersonate this API server and capture your credentials. Set certificate-authority-data instead.`);
    }
  }
  for (const c of usable) {
    if (refused.has(c.name)) continue;
    const cluster = clusters.get(c.cluster);
    const user = users.get(c.user);
    if (cluster?.skipTLSVerify && !isLoopback(cluster.server)) {
      const file = firstFrom.get(`cluster/${cluster.name}`);
      notices.push({
        kind: 'insecure-tls', context: c.name, file,
        message: `Context ${quoted(c.name)} does not verify the TLS certificate of ${quoted(cluster.server).slice(1, -1)} (insecure-skip-tls-verify in ${file}): anyone on the network path can impersonate this API server and capture your credentials. Set certificate-authority-data instead.`,
      });
    }
    if (user?.execCommand) {
      const file = firstFrom.get(`user/${user.name}`);
      notices.push({
        kind: 'exec-plugin', context: c.name, file, command: user.execCommand,
        message: `Context ${quoted(c.name)} gets its credentials by running: ${user.execCommand} (exec plugin of user ${quoted(user.name)} in ${file}).`,
      });
    }
  }
  if (!contexts.size) warnings.push(`${files.join(', ')} define${files.length === 1 ? 's' : ''} no contexts.`);

  // client-node gets only what is safe to hand it: refused users keep nothing but their name.
  const strip = <T extends { refusal?: Refusal; execCommand?: string }>({ refusal: _r, execCommand: _e, ...entry }: T) => entry;
  return {
    sources: files,
    origin,
    currentContext,
    warnings,
    contexts: usable.map((c) => ({
      name: c.name, cluster: c.cluster, user: c.user, namespace: c.namespace, server: clusters.get(c.cluster)?.server, source: c.source,
    })),
    merged: {
      clusters: [...clusters.values()].filter((c) => !c.refusal).map(strip),
      users: [...users.values()].filter((u) => !u.refusal).map(strip),
      contexts: usable.map(({ source: _source, ...c }) => c),
    },
    refused,
    notices,
  };
}

/** The notices for one context, to show when it is opened. */
export function noticesFor(d: KubeconfigDiscovery, context: string): SecurityNotice[] {
  return d.notices.filter((n) => n.context === context);
}

function isNamespaceName(ns: string): boolean {
  try { validateNamespace(ns); return true; } catch { return false; }
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

function refusedError(r: Refusal): TerrariumError {
  return new TerrariumError('BadKubeconfig', r.message, r.hint);
}

/** Picks the context to use and explains, with the choices, when that is not possible. */
export function resolveContext(d: KubeconfigDiscovery, wanted?: string): KcContext {
  const where = describeSources(d);
  const refusal = d.refused.get(wanted ?? d.currentContext ?? '');
  if (refusal) throw refusedError(refusal);
  if (!d.merged.contexts.length) {
    throw new TerrariumError('NoContext', `${capitalizeFirst(where)} defines no ${d.refused.size ? 'usable ' : ''}contexts.`,
      'Add one (kubectl config set-context NAME --cluster=... --user=...) or point the terrarium.kubeconfig setting / --kubeconfig at another file.');
  }
  const pickHint = `Pick one with --context NAME (or the terrarium.context setting), or make one current: kubectl config use-context NAME.`;
  if (wanted) {
    const found = d.merged.contexts.find((c) => c.name === wanted);
    if (found) return found;
    const close = closeNames(wanted, d.contexts.map((c) => c.name));
    throw new TerrariumError('NoContext',
      `There is no context ${quoted(wanted)} in ${where}.${close.length ? ` Did you mean ${close.map((c) => quoted(c)).join(' or ')}?` : ''} Available contexts: ${available(d)}.`,
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
      `The current context ${quoted(d.currentContext)} is not defined in ${where}. Available contexts: ${available(d)}.`,
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
      `Context ${quoted(context.name)} refers to cluster ${quoted(context.cluster)}, which is not defined in ${describeSources(d)}.`,
      'Fix the context (kubectl config set-context) or add the cluster entry.');
  }
  const user = d.merged.users.find((u) => u.name === context.user);
  // Defence in depth: only the in-cluster token file may reach client-node as an auth-provider
  // (gcp/azure ones run a shell command); discovery already refuses the rest.
  if (user?.authProvider && !(d.origin === 'in-cluster' && user.authProvider.name === 'tokenFile')) {
    throw new TerrariumError('BadKubeconfig', `The user of context ${quoted(context.name)} uses an auth-provider, which Terrarium does not run.`,
      'Use a kubectl/client-go credential plugin (users[].user.exec) instead.');
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...cluster }],
    // A context without a (known) user talks to the cluster anonymously, as kubectl does.
    users: [user ? { ...user } : { name: context.user || 'anonymous' }],
    contexts: [{ ...context, user: user ? context.user : context.user || 'anonymous' }],
    currentContext: context.name,
  });
  return reuseConnections(kc);
}

export interface OpenClusterOptions {
  /** The terrarium.kubeconfig setting or --kubeconfig (may be a path list). */
  kubeconfigPath?: string;
  /** Default: the kubeconfig's current context. */
  context?: string;
  /** Default: "devenv". Must be a valid namespace name. */
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
  const namespace = opts.namespace || DEFAULT_NAMESPACE;
  // The namespace goes into URLs, messages and ssh host aliases: an RFC 1123 label or nothing.
  validateNamespace(namespace);
  const kc = kubeConfigFor(d, opts.context);
  return new Cluster(kc, kc.getCurrentContext(), namespace, kubeconfigPathForProxy(d));
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
