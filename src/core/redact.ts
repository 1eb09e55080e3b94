/**
 * Redaction for anything that may reach a log: bearer tokens, Authorization headers, private key
 * blocks, kubeconfig credential fields and Secret `data`, and the secrets agents' command lines
 * carry (`ANTHROPIC_API_KEY=… claude`, `--openai-api-key sk-…`, raw token shapes). Applied by the
 * loggers, not by callers, so forgetting to redact at one call site can't leak a credential.
 */

/** A value after `=` or a flag: quoted, or up to whitespace or a quote (also inside a JSON argv array). */
const VALUE = String.raw`(?:"[^"]*"|'[^']*'|[^\s"',]+)`;
/** Env-style names that hold secrets: *_KEY, *_TOKEN, *_SECRET, *PASSWORD* (any case). */
const SECRET_ENV = String.raw`[A-Za-z0-9_]*(?:_KEY|_TOKEN|_SECRET|_SECRETS|PASSWORD[A-Za-z0-9_]*|PASSWD[A-Za-z0-9_]*)`;
/** Flags whose argument is a secret: --*key, --*token, --*password, --*secret (not --public-key). */
const SECRET_FLAG = String.raw`--(?!public-key\b)(?:[A-Za-z0-9]+-)*(?:[A-Za-z0-9]*(?:key|token|password|passwd|secret))`;

const RULES: [RegExp, string][] = [
  [/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g, '-----BEGIN $1PRIVATE KEY----- [redacted] -----END $1PRIVATE KEY-----'],
  [/(authorization["']?\s*[:=]\s*["']?)(bearer|basic)\s+[^\s"',}]+/gi, '$1$2 [redacted]'],
  [/\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/(["']?(?:token|id-token|refresh-token|access-token|client-key-data|client-certificate-data|password|secret)["']?\s*[:=]\s*["']?)[^\s"',}]{4,}/gi, '$1[redacted]'],
  [/(\bdata["']?\s*:\s*)\{[^{}]*\}/g, '$1{[redacted]}'],
  // NAME=value (also `export NAME=value` and "NAME=value" as one argv element).
  [new RegExp(String.raw`(?<![A-Za-z0-9_])(${SECRET_ENV}=)${VALUE}`, 'gi'), '$1[redacted]'],
  // --flag value, --flag=value, and "--flag","value" in a JSON argv; a following flag is not a value.
  [new RegExp(String.raw`(?<![A-Za-z0-9-])(${SECRET_FLAG})(=|\s+|["']\s*,\s*["'])(?!--)${VALUE}`, 'gi'), '$1$2[redacted]'],
  // Token shapes wherever they appear: Anthropic, OpenAI, GitHub, Slack, AWS access key ids.
  [/(?<![A-Za-z0-9_-])(sk-ant-)[A-Za-z0-9_-]{8,}/g, '$1[redacted]'],
  [/(?<![A-Za-z0-9_-])(sk-)(?!ant-\[redacted\])[A-Za-z0-9_-]{16,}/g, '$1[redacted]'],
  [/(?<![A-Za-z0-9_])(gh[pousr]_)[A-Za-z0-9]{20,}/g, '$1[redacted]'],
  [/(?<![A-Za-z0-9_])(github_pat_)[A-Za-z0-9_]{20,}/g, '$1[redacted]'],
  [/(?<![A-Za-z0-9_-])(xox[abposr]-)[A-Za-z0-9-]{10,}/g, '$1[redacted]'],
  [/(?<![A-Z0-9])((?:AKIA|ASIA))[0-9A-Z]{16}(?![0-9A-Z])/g, '$1[redacted]'],
];

export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of RULES) out = out.replace(re, rep);
  return out;
}
