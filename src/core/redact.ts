/**
 * Redaction for anything that may reach a log: bearer tokens, Authorization headers, private key
 * blocks, kubeconfig credential fields and Secret `data`. Applied by the loggers, not by callers,
 * so forgetting to redact at one call site can't leak a credential.
 */
const RULES: [RegExp, string][] = [
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, '-----BEGIN $1PRIVATE KEY----- [redacted] -----END $1PRIVATE KEY-----'],
  [/(authorization["']?\s*[:=]\s*["']?)(bearer|basic)\s+[^\s"',}]+/gi, '$1$2 [redacted]'],
  [/\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/(["']?(?:token|id-token|refresh-token|access-token|client-key-data|client-certificate-data|password|secret)["']?\s*[:=]\s*["']?)[^\s"',}]{4,}/gi, '$1[redacted]'],
  [/(\bdata["']?\s*:\s*)\{[^{}]*\}/g, '$1{[redacted]}'],
];

export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of RULES) out = out.replace(re, rep);
  return out;
}

/** One structured audit line for an action that touches a sandbox or an environment. */
export interface AuditRecord {
  action: 'exec' | 'port-forward' | 'scale' | 'delete' | 'reveal' | 'claim' | 'release' | 'create' | 'restart' | 'resync';
  context: string;
  namespace: string;
  target: string;
  detail?: Record<string, string | number | boolean | undefined>;
  outcome: 'ok' | 'failed' | 'cancelled';
}

export function formatAudit(r: AuditRecord, now = new Date()): string {
  return 'audit ' + JSON.stringify({ time: now.toISOString(), ...r });
}
