// Small real servers for the src/core/kube tests: an HTTP(S) API stand-in answering real Status
// JSON, kubeconfig files, and certificates made with the openssl CLI. Not a test file itself.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { openCluster } from '../../src/core/kube/kubeconfig';
import type { Cluster } from '../../src/core/kube/cluster';

export interface Recorded { method: string; url: URL; headers: http.IncomingHttpHeaders }

export interface TestApi {
  url: string;
  port: number;
  requests: Recorded[];
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void;

/** A Kubernetes Status body as the API server sends it. */
export function statusBody(code: number, reason: string, message: string, details?: object): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });
}

export function sendStatus(res: http.ServerResponse, code: number, reason: string, message: string, details?: object, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(statusBody(code, reason, message, details));
}

export function sendJson(res: http.ServerResponse, body: unknown, code = 200): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Starts an HTTP (or HTTPS with tls) server on 127.0.0.1; `port` reuses a port after a restart. */
export async function startApi(handler: Handler, opts: { tls?: { key: string; cert: string }; port?: number } = {}): Promise<TestApi> {
  const requests: Recorded[] = [];
  const listener: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? 'GET', url, headers: req.headers });
    handler(req, res, url);
  };
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : http.createServer(listener);
  server.on('upgrade', (req, socket) => {
    // WebSocket upgrades (exec, port-forward) go through the same handler with a fake response.
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: 'UPGRADE', url, headers: req.headers });
    socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${statusBody(403, 'Forbidden', 'upgrade refused')}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export function tempDir(prefix = 'terrarium-kube-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface KubeconfigSpec {
  server: string;
  context?: string;
  cluster?: string;
  token?: string;
  skipTLS?: boolean;
  caFile?: string;
  tlsServerName?: string;
}

/** Writes a one-context kubeconfig and returns its path. */
export function writeKubeconfig(dir: string, spec: KubeconfigSpec, file = 'config'): string {
  const ctx = spec.context ?? 'test';
  const cluster = spec.cluster ?? `${ctx}-cluster`;
  const lines = [
    'apiVersion: v1', 'kind: Config',
    'clusters:', `- name: ${cluster}`, '  cluster:', `    server: ${spec.server}`,
    ...(spec.skipTLS ? ['    insecure-skip-tls-verify: true'] : []),
    ...(spec.caFile ? [`    certificate-authority: ${spec.caFile}`] : []),
    ...(spec.tlsServerName ? [`    tls-server-name: ${spec.tlsServerName}`] : []),
    'users:', `- name: ${ctx}-user`, '  user:', `    token: ${spec.token ?? 'test-token'}`,
    'contexts:', `- name: ${ctx}`, '  context:', `    cluster: ${cluster}`, `    user: ${ctx}-user`,
    `current-context: ${ctx}`, '',
  ];
  const p = path.join(dir, file);
  fs.writeFileSync(p, lines.join('\n'));
  return p;
}

/** A Cluster for a test server, through the real kubeconfig path (plain http needs skipTLS). */
export function clusterFor(dir: string, spec: KubeconfigSpec, namespace = 'devenv'): Cluster {
  const file = writeKubeconfig(dir, { skipTLS: spec.server.startsWith('http:'), ...spec }, `${spec.context ?? 'test'}.yaml`);
  return openCluster({ kubeconfigPath: file, namespace, env: {} });
}

export interface TestCerts {
  /** CA that signed `leaf`. */
  caFile: string;
  /** Leaf for localhost / 127.0.0.1 signed by the CA. */
  leaf: { key: string; cert: string };
  /** Self-signed leaf for 127.0.0.1. */
  selfSigned: { key: string; cert: string };
  /** Leaf signed by the CA that expired in 2020. */
  expired: { key: string; cert: string };
  /** A CA that signed nothing here: trusting it means the leaf's issuer is unknown. */
  otherCaFile: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** Certificates for the TLS failure tests (EC keys: quick to make). */
export function makeCerts(dir: string): TestCerts {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=terrarium-test-ca']);
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=other-ca']);
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  // `openssl ca` is the only way in OpenSSL 3.0 to choose validity dates (for the expired leaf).
  fs.writeFileSync(path.join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = d', '[d]', 'database = index.txt', 'unique_subject = no', 'new_certs_dir = .', 'serial = serial',
    'default_md = sha256', 'policy = p', 'copy_extensions = copy', '[p]', 'commonName = supplied', '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '01\n');
  const sign = (name: string, dates: string[]) => {
    openssl(dir, ['req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    openssl(dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`,
      '-out', `${name}.pem`, '-notext', ...dates]);
  };
  sign('leaf', ['-days', '2']);
  sign('expired', ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  return {
    caFile: path.join(dir, 'ca.pem'),
    otherCaFile: path.join(dir, 'other-ca.pem'),
    leaf: { key: read('leaf.key'), cert: read('leaf.pem') },
    selfSigned: { key: read('self.key'), cert: read('self.pem') },
    expired: { key: read('expired.key'), cert: read('expired.pem') },
  };
}
