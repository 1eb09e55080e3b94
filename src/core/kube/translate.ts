import { TerrariumError, type KubeOp } from './errors';
import { terminalSafe } from '../text/terminalSafe';

/**
 * Turns whatever client-node, undici or ws threw into a TerrariumError a person can act on.
 * The shapes handled here were measured against client-node 2.0.1 (see test/unit/kube-translate.test.ts):
 * - ApiException: numeric `.code` (HTTP status), `.body` = raw JSON string of the Status (undefined
 *   for 401), `.headers` = plain object.
 * - Watch: a plain Error with `.statusCode` for a non-200 answer.
 * - Network/TLS: `TypeError('fetch failed')` whose `.cause` carries the errno / OpenSSL code.
 * - WebSocket (exec, port-forward): a ws ErrorEvent, `.message` "Unexpected server response: 403"
 *   for an HTTP refusal, `.error` carrying the errno / TLS code otherwise.
 * - AbortSignal: DOMException named AbortError (its numeric `.code` 20 is not an HTTP status).
 */

/** The parts of a Kubernetes Status object Terrarium reads. */
export interface StatusLike {
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    retryAfterSeconds?: number;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/** What went wrong, independent of which library reported it. */
export interface FailureInfo {
  kind: 'http' | 'network' | 'tls' | 'plain-http' | 'plugin-missing' | 'aborted' | 'timeout' | 'other';
  /** HTTP status for kind "http". */
  status?: number;
  statusBody?: StatusLike;
  headers?: Record<string, string>;
  /** errno / OpenSSL / undici code for kind "network" and "tls". */
  code?: string;
  /** The lowest-level message found. */
  message: string;
}

export interface TranslateContext {
  /** How many attempts were made before giving up (retry.ts passes this for 429/5xx). */
  attempts?: number;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN',
  'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO', 'CERT_REVOKED',
]);

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null;
}

function parseStatus(body: unknown): StatusLike | undefined {
  if (typeof body === 'string') {
    try { return parseStatus(JSON.parse(body)); } catch { return undefined; }
  }
  if (isObject(body) && (body.kind === 'Status' || typeof body.reason === 'string' || typeof body.message === 'string')) {
    return inertStatus(body as StatusLike);
  }
  return undefined;
}

/**
 * A Status is server text that error messages quote (admission webhooks write their own): its
 * strings are made terminal-safe once here, so no message built from it carries an escape sequence.
 */
function inertStatus(s: StatusLike): StatusLike {
  const t = (v: unknown) => (typeof v === 'string' ? terminalSafe(v, { multiline: true }) : v) as string | undefined;
  const causes = Array.isArray(s.details?.causes)
    ? s.details!.causes.map((c) => ({ ...c, reason: t(c?.reason), message: t(c?.message), field: t(c?.field) })) : s.details?.causes;
  return {
    ...s, message: t(s.message), reason: t(s.reason),
    ...(s.details ? { details: { ...s.details, name: t(s.details.name), group: t(s.details.group), kind: t(s.details.kind), causes } } : {}),
  };
}

/** Walks `.cause` and ws's `.error` looking for a string code such as ECONNREFUSED. */
function findCode(err: unknown): { code: string; message: string } | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 6 && isObject(e); depth++) {
    if (typeof e.code === 'string' && e.code) return { code: e.code, message: String(e.message ?? e.code) };
    e = e.cause ?? e.error;
  }
  return undefined;
}

function isNamed(err: unknown, name: string): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && isObject(e); depth++) {
    if (e.name === name) return true;
    e = e.cause ?? e.error;
  }
  return false;
}

/** Classifies an error thrown by client-node, undici or ws. Exported for retry decisions. */
export function describeFailure(err: unknown): FailureInfo {
  const message = isObject(err) && typeof err.message === 'string' ? err.message : String(err);
  if (isNamed(err, 'AbortError')) return { kind: 'aborted', message };
  if (isNamed(err, 'TimeoutError')) return { kind: 'timeout', message };
  if (isObject(err)) {
    // ApiException: numeric code plus headers; body is the raw Status JSON (absent for 401).
    if (typeof err.code === 'number' && err.code >= 100 && err.code < 600 && 'headers' in err) {
      const headers = isObject(err.headers) ? err.headers as Record<string, string> : undefined;
      return { kind: 'http', status: err.code, statusBody: parseStatus(err.body), headers, message };
    }
    if (typeof err.statusCode === 'number') {
      return { kind: 'http', status: err.statusCode, statusBody: parseStatus(err.body), message };
    }
  }
  // ws refuses an upgrade answered with a non-101 status with this exact text; the body is lost.
  const upgrade = /Unexpected server response: (\d{3})/.exec(message);
  if (upgrade) return { kind: 'http', status: Number(upgrade[1]), message };
  if (message.includes('HTTP protocol is not allowed')) return { kind: 'plain-http', message };
  // An exec credential plugin (aws, gke-gcloud-auth-plugin, kubelogin) that is not on PATH.
  if (isObject(err) && err.code === 'ENOENT' && typeof err.syscall === 'string' && err.syscall.startsWith('spawn')) {
    return { kind: 'plugin-missing', code: String(err.path ?? err.syscall.slice(6)), message };
  }
  const found = findCode(err);
  if (found) {
    if (TLS_CODES.has(found.code) || found.code.startsWith('ERR_SSL_') || found.code.startsWith('ERR_TLS_')) {
      return { kind: 'tls', code: found.code, message: found.message };
    }
    if (NETWORK_CODES.has(found.code)) return { kind: 'network', code: found.code, message: found.message };
  }
  return { kind: 'other', message };
}

/** Kind names for the resources Terrarium touches, so messages read like kubectl's. */
const KINDS: Record<string, string> = {
  pods: 'Pod', services: 'Service', secrets: 'Secret', configmaps: 'ConfigMap', namespaces: 'Namespace', events: 'Event',
  persistentvolumeclaims: 'PersistentVolumeClaim', serviceaccounts: 'ServiceAccount', limitranges: 'LimitRange',
  statefulsets: 'StatefulSet', jobs: 'Job', networkpolicies: 'NetworkPolicy', roles: 'Role', rolebindings: 'RoleBinding',
  vaultstaticsecrets: 'VaultStaticSecret', vaultauths: 'VaultAuth', vaultconnections: 'VaultConnection',
};

function kindOf(plural: string): string {
  const known = KINDS[plural];
  if (known) return known;
  if (plural.endsWith('ies')) return `${plural.slice(0, -3)}y`;
  if (plural.endsWith('s')) return plural.slice(0, -1);
  return plural;
}

/** `StatefulSet "web"`, `the scale of StatefulSet "web"`, "pods", for messages. */
export function describeTarget(op: Pick<KubeOp, 'resource' | 'name'>): string {
  const [main = op.resource, sub] = op.resource.split('/');
  const plural = main.split('.')[0] ?? main;
  if (!op.name) return sub ? `${plural}/${sub}` : plural;
  const obj = `${kindOf(plural)} "${op.name}"`;
  if (sub === 'exec') return `exec into ${obj}`;
  if (sub === 'portforward') return `port-forward to ${obj}`;
  return sub ? `the ${sub} of ${obj}` : obj;
}

function mainResource(op: KubeOp): string {
  return op.resource.split('/')[0] ?? op.resource;
}

function where(op: KubeOp): string {
  const ns = op.namespace ? ` in namespace "${op.namespace}"` : '';
  const ctx = op.context ? ` on context "${op.context}"` : '';
  return `${ns}${ctx}`;
}

function onContext(op: KubeOp): string {
  return op.context ? ` of context "${op.context}"` : '';
}

function serverName(op: KubeOp): string {
  return op.server ? `the API server ${op.server}` : 'the API server';
}

function clusterEntry(op: KubeOp): string {
  return op.cluster ? `cluster "${op.cluster}"` : 'this cluster';
}

function attemptsText(ctx: TranslateContext): string {
  return ctx.attempts && ctx.attempts > 1 ? ` after ${ctx.attempts} attempts` : '';
}

const REASON_TEXT: Record<number, string> = {
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** RBAC denials read: `User "bob" cannot list resource "pods" in API group "" in the namespace "devenv"`. */
const RBAC_DENIAL = /((?:User|ServiceAccount|Group) "[^"]+") cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)"| at the cluster scope)?/;

/**
 * The claim policy (manifests/claim-policy.yaml) words its own rejection, after
 * "ValidatingAdmissionPolicy 'terrarium-claims' with binding ... denied request: terrarium-claims: ":
 * shown as it is, without the API server's wrapping.
 */
const SANDBOX_ACCESS = new Set(['pods/exec', 'pods/attach', 'pods/portforward']);
const CLAIM_POLICY_TEXT = /terrarium-claims:\s*(.+)$/s;
function claimPolicyDenial(f: FailureInfo, op: KubeOp, cause: unknown): TerrariumError | undefined {
  const m = f.statusBody?.message ? CLAIM_POLICY_TEXT.exec(f.statusBody.message) : null;
  if (!m) return undefined;
  const text = m[1]!.trim();
  return new TerrariumError('Forbidden',
    `${text.endsWith('.') ? text : `${text}.`}${op.context ? ` (context "${op.context}")` : ''}`,
    'Claim a free sandbox instead (terrarium sandbox claim ENV), or ask its holder or a Terrarium admin to release it (terrarium sandbox release SANDBOX).',
    { cause, status: f.status });
}

function translateHttp(f: FailureInfo, op: KubeOp, tctx: TranslateContext, cause: unknown): TerrariumError {
  const status = f.status ?? 0;
  const s = f.statusBody;
  const serverMsg = s?.message;
  const opts = { cause, status };
  const target = describeTarget(op);
  switch (status) {
    case 401:
      return new TerrariumError('Unauthorized',
        `The API server${op.server ? ` ${op.server}` : ''} rejected the credentials${op.context ? ` of context "${op.context}"` : ''} (401 Unauthorized): they are missing, invalid or expired.`,
        'Log in to the cluster again or refresh the token in your kubeconfig (for exec or OIDC logins, re-run the login command), then retry.',
        opts);
    case 403: {
      const claim = claimPolicyDenial(f, op, cause);
      if (claim) return claim;
      const m = serverMsg ? RBAC_DENIAL.exec(serverMsg) : null;
      if (m || !serverMsg) {
        const verb = m?.[2] ?? op.verb;
        const resource = m ? (m[4] ? `${m[3]}.${m[4]}` : m[3]!) : op.resource;
        const ns = m ? m[5] : op.namespace;
        const who = m ? ` (${m[1]})` : '';
        const scope = ns ? ` in namespace "${ns}"` : ' at cluster scope';
        const ctx = op.context ? ` on context "${op.context}"` : '';
        // Team clusters grant these per sandbox (the controller's Role terrarium-access-<user>), never in a base Role.
        if (SANDBOX_ACCESS.has(resource)) {
          return new TerrariumError('Forbidden', `Permission denied${ctx}: you${who} may not ${verb} ${resource}${scope}.`,
            `A sandbox's exec, attach and port-forward are its holder's: the Terrarium controller grants them when you claim it (terrarium sandbox claim ENV); if it is yours, check that the controller runs (terrarium doctor). Without the Terrarium platform, a cluster admin grants "${verb}" on "${resource}".`,
            opts);
        }
        return new TerrariumError('Forbidden',
          `Permission denied${ctx}: you${who} may not ${verb} ${resource}${scope}.`,
          `Ask a cluster admin to grant "${verb}" on "${resource}"${ns ? ` in namespace "${ns}"` : ''}: manifests/rbac.yaml is the Role with everything Terrarium needs (kubectl apply${ns ? ` -n ${ns}` : ''} -f manifests/rbac.yaml).`,
          opts);
      }
      // Not RBAC: admission (Pod Security, quota) or a namespace being deleted.
      return new TerrariumError('Forbidden',
        `The API server refused to ${op.verb} ${target}${where(op)}: ${serverMsg}.`,
        /being terminated/.test(serverMsg)
          ? 'Wait until the namespace is gone, then create the environment again.'
          : 'Fix what the message names (Pod Security, quota or admission policy) and try again.',
        opts);
    }
    case 404: {
      const kind = s?.details?.kind;
      if (kind === 'namespaces' && !op.resource.startsWith('namespaces') && s?.details?.name) {
        return new TerrariumError('NotFound',
          `The namespace "${s.details.name}" does not exist${op.context ? ` on context "${op.context}"` : ''}.`,
          'Create an environment there (terrarium env create) or pick another namespace with --namespace or the terrarium.namespace setting.',
          opts);
      }
      if (!s?.details?.name && (!serverMsg || /could not find the requested resource/.test(serverMsg)) && !op.name) {
        return new TerrariumError('NotFound',
          `The API server${onContext(op)} does not serve ${op.resource} (404: the server could not find the requested resource).`,
          'The API or its CustomResourceDefinition is not installed on this cluster; ask a cluster admin to install it.',
          opts);
      }
      const name = s?.details?.name ?? op.name;
      // For a subresource (pods/exec) the missing thing is the object itself.
      const obj = name ? describeTarget({ resource: mainResource(op), name }) : target;
      return new TerrariumError('NotFound',
        `${capitalize(obj)} was not found${where(op)}.`,
        'It may have been deleted or renamed; refresh the view or check the name.',
        opts);
    }
    case 409:
      if (s?.reason === 'AlreadyExists') {
        return new TerrariumError('AlreadyExists',
          `${capitalize(describeTarget({ resource: mainResource(op), name: s.details?.name ?? op.name }))} already exists${where(op)}.`,
          'Pick another name, or delete the existing one first.',
          opts);
      }
      return new TerrariumError('Conflict',
        `${capitalize(target)} was changed by someone else while Terrarium was updating it${where(op)} (409 Conflict).`,
        'Retry: Terrarium will read the latest version and apply the change again.',
        opts);
    case 410:
      return new TerrariumError('Gone',
        `The watch of ${op.resource}${where(op)} expired (410 Gone: ${serverMsg ?? 'resource version too old'}); relisting.`,
        'Nothing to do: the view reloads the full list by itself.',
        opts);
    case 422: {
      const claim = claimPolicyDenial(f, op, cause);
      if (claim) return claim;
      const causes = (s?.details?.causes ?? [])
        .map((c) => (c.field ? `${c.field}: ${c.message ?? c.reason ?? 'invalid'}` : c.message ?? c.reason ?? ''))
        .filter(Boolean);
      const detail = causes.length ? causes.join('; ') : serverMsg ?? 'invalid';
      return new TerrariumError('Invalid',
        `The API server rejected ${target}${where(op)} as invalid: ${detail}.`,
        'Fix the listed fields and try again.',
        opts);
    }
    case 429:
      return new TerrariumError('TooManyRequests',
        `${capitalize(serverName(op))}${onContext(op)} is overloaded and refused to ${op.verb} ${target}${attemptsText(tctx)} (429 Too Many Requests).`,
        'Wait a minute and try again; if it keeps happening, ask a cluster admin about API priority and fairness limits.',
        opts);
    default:
      if (status >= 500) {
        const reason = REASON_TEXT[status] ?? 'Server Error';
        return new TerrariumError('ServerError',
          `${capitalize(serverName(op))}${onContext(op)} failed to ${op.verb} ${target}${attemptsText(tctx)} (${status} ${reason}${serverMsg ? `: ${serverMsg}` : ''}).`,
          'The cluster may be upgrading or unhealthy; try again shortly, and check the control plane if it persists.',
          opts);
      }
      return new TerrariumError('Unknown',
        `The API server${onContext(op)} answered ${status} to ${op.verb} ${target}${op.namespace ? ` in namespace "${op.namespace}"` : ''}${serverMsg ? `: ${serverMsg}` : ''}.`,
        undefined,
        opts);
  }
}

const NETWORK_TEXT: Record<string, [what: string, hint: string]> = {
  ECONNREFUSED: ['the connection was refused', 'Check that the cluster is running and that the server URL in your kubeconfig is right (is the VPN, tunnel or local cluster up?).'],
  ENOTFOUND: ['the host name does not resolve', 'Check the server URL in your kubeconfig, your DNS and your VPN.'],
  EAI_AGAIN: ['the host name could not be resolved right now', 'Check your network connection and DNS, then retry.'],
  ETIMEDOUT: ['the connection timed out', 'Check your network, VPN and firewall; the cluster may be down.'],
  UND_ERR_CONNECT_TIMEOUT: ['the connection timed out', 'Check your network, VPN and firewall; the cluster may be down.'],
  UND_ERR_HEADERS_TIMEOUT: ['it accepted the connection but did not answer in time', 'The API server may be overloaded or stuck; retry, and check the control plane if it persists.'],
  EHOSTUNREACH: ['the host is unreachable', 'Check your network and VPN; the server address may be on a network you are not connected to.'],
  ENETUNREACH: ['the network is unreachable', 'Check your network connection and VPN.'],
  EHOSTDOWN: ['the host is down', 'Check that the cluster is running.'],
};

function translateNetwork(f: FailureInfo, op: KubeOp, tctx: TranslateContext, cause: unknown): TerrariumError {
  const code = f.code ?? 'unknown';
  const known = NETWORK_TEXT[code];
  if (!known) {
    return new TerrariumError('Unreachable',
      `The connection to ${serverName(op)}${onContext(op)} was dropped (${code})${attemptsText(tctx)}.`,
      'The API server or a proxy closed the connection; retry, and check the cluster if it keeps happening.',
      { cause });
  }
  const [what, hint] = known;
  return new TerrariumError('Unreachable',
    `Cannot reach ${serverName(op)}${onContext(op)}: ${what} (${code})${attemptsText(tctx)}.`,
    hint,
    { cause });
}

function translateTls(f: FailureInfo, op: KubeOp, cause: unknown): TerrariumError {
  const code = f.code ?? '';
  const who = `${serverName(op)}${onContext(op)}`;
  const entry = clusterEntry(op);
  const caHint = `Put the cluster's CA in certificate-authority-data (or certificate-authority) of ${entry} in your kubeconfig; insecure-skip-tls-verify: true also works but is unsafe outside a local test cluster.`;
  let message: string;
  let hint: string;
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      message = `${capitalize(who)} presented a self-signed certificate that your kubeconfig does not trust (${code}).`;
      hint = caHint;
      break;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_SIGNATURE_FAILURE':
    case 'CERT_UNTRUSTED':
      message = `${capitalize(who)} presented a certificate signed by an unknown certificate authority (${code}).`;
      hint = `The CA in your kubeconfig does not match the server (was the cluster re-created or its CA rotated?). ${caHint}`;
      break;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      message = `${capitalize(who)} presented a certificate that is not valid for the host name in the server URL (${code}: ${f.message}).`;
      hint = `Use a host name the certificate was issued for in the server URL, or set tls-server-name of ${entry} in your kubeconfig.`;
      break;
    case 'CERT_HAS_EXPIRED':
      message = `${capitalize(who)} presented an expired certificate (${code}).`;
      hint = "Renew the API server's certificate (or check your computer's clock), then fetch a fresh kubeconfig.";
      break;
    case 'CERT_NOT_YET_VALID':
      message = `${capitalize(who)} presented a certificate that is not valid yet (${code}).`;
      hint = "Check your computer's clock and time zone.";
      break;
    default:
      if (/alert (bad|unknown|expired) certificate|certificate required/i.test(f.message)) {
        message = `${capitalize(who)} rejected your client certificate (${code}: ${f.message}).`;
        hint = 'Your client certificate may have expired or belong to another cluster; fetch a fresh kubeconfig.';
      } else if (/wrong version number|packet length too long/i.test(f.message)) {
        message = `The TLS handshake with ${who} failed: the server does not speak TLS (${code}).`;
        hint = 'If the server really is plain HTTP, use an http:// server URL; otherwise check the port in your kubeconfig.';
      } else {
        message = `The TLS handshake with ${who} failed (${code}: ${f.message}).`;
        hint = `Check certificate-authority-data and the server URL of ${entry} in your kubeconfig.`;
      }
  }
  return new TerrariumError('TLS', message, hint, { cause });
}

function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** Every Kubernetes failure a user can meet, as a message that says what happened and a hint. */
export function translateKubeError(err: unknown, op: KubeOp, tctx: TranslateContext = {}): TerrariumError {
  if (err instanceof TerrariumError) return err;
  const f = describeFailure(err);
  switch (f.kind) {
    case 'aborted':
      return new TerrariumError('Cancelled', 'Cancelled.', undefined, { cause: err });
    case 'timeout':
      return new TerrariumError('Timeout',
        `${capitalize(serverName(op))}${onContext(op)} did not answer in time while trying to ${op.verb} ${describeTarget(op)}.`,
        'Check your network and the cluster, then retry.',
        { cause: err });
    case 'http':
      return translateHttp(f, op, tctx, err);
    case 'network':
      return translateNetwork(f, op, tctx, err);
    case 'tls':
      return translateTls(f, op, err);
    case 'plain-http':
      return new TerrariumError('BadKubeconfig',
        `The server URL${op.server ? ` ${op.server}` : ''}${onContext(op)} is plain http://, which is refused unless insecure-skip-tls-verify is set.`,
        `Use the https:// URL of the API server, or set insecure-skip-tls-verify: true on ${clusterEntry(op)} for a local test cluster only.`,
        { cause: err });
    case 'plugin-missing':
      return new TerrariumError('Unauthorized',
        `The credential plugin "${f.code}" that context${op.context ? ` "${op.context}"` : ''} uses to log in was not found.`,
        "Install it, or make sure VS Code sees the same PATH as your shell (start VS Code from a terminal, or add the plugin's folder to PATH), then retry.",
        { cause: err });
    default:
      return new TerrariumError('Unknown',
        `Unexpected failure while trying to ${op.verb} ${describeTarget(op)}${where(op)}: ${f.message}`,
        undefined,
        { cause: err });
  }
}
