/**
 * Argument parsing for `terrarium`: node:util parseArgs with the global options merged into every
 * command, and usage errors that say what was wrong and what the correct usage is. No heavy
 * imports here: `--help` and usage errors must not load client-node.
 */
import { parseArgs } from 'node:util';

/** A mistake in how the command was called (exit code 2): unknown command or flag, missing argument. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, /** "terrarium env scale NAME N", shown after the message. */ readonly usage?: string) {
    super(message);
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help for a value, e.g. "N" or "FILE". */
  value?: string;
  description: string;
}
export type OptionSpecs = Record<string, OptionSpec>;

export const GLOBAL_OPTIONS = {
  kubeconfig: { type: 'string', value: 'FILE', description: 'kubeconfig file(s) to use (default: KUBECONFIG, then ~/.kube/config)' },
  context: { type: 'string', value: 'NAME', description: 'kubeconfig context (default: the current context)' },
  namespace: { type: 'string', short: 'n', value: 'NS', description: 'namespace of the environments (default: devenv)' },
  json: { type: 'boolean', description: 'machine-readable output (one JSON document on stdout)' },
  audit: { type: 'boolean', description: 'also print the audit records on stderr (see "Audit log" below)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const satisfies OptionSpecs;

export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  json: boolean;
  help: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedArgs {
  globals: GlobalOptions;
  /** The command's own options (globals removed). */
  values: OptionValues;
  positionals: string[];
}

function toParseArgsOptions(specs: OptionSpecs) {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, s] of Object.entries(specs)) {
    out[name] = { type: s.type, ...(s.short ? { short: s.short } : {}), ...(s.multiple ? { multiple: true } : {}) };
  }
  return out;
}

/** parseArgs' own messages mention internals ("To specify a positional argument..."); say it plainly. */
function usageFromParseError(e: unknown, usage: string): UsageError {
  const err = e as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(err.message ?? '')?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${quoted ?? ''}`.trim() + '.', usage);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "-n, --namespace <value>" -> "--namespace"
      const flag = /--[^\s,]+/.exec(quoted ?? '')?.[0];
      return /argument missing/.test(err.message ?? '')
        ? new UsageError(`option ${flag ?? quoted} needs a value.`, usage)
        : new UsageError(`option ${flag ?? quoted} does not take a value.`, usage);
    }
    default:
      return new UsageError(err.message ?? String(e), usage);
  }
}

/**
 * Parses one command's arguments (global options allowed anywhere). Throws UsageError with `usage`
 * for unknown flags, missing values and a wrong number of positional arguments.
 */
export function parseCommandArgs(
  argv: string[],
  options: OptionSpecs,
  usage: string,
  positionals: { min: number; max: number; names?: string } = { min: 0, max: 0 },
): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: toParseArgsOptions({ ...GLOBAL_OPTIONS, ...options }), allowPositionals: true, strict: true });
  } catch (e) {
    throw usageFromParseError(e, usage);
  }
  const v = parsed.values as OptionValues;
  const globals: GlobalOptions = {
    kubeconfig: v.kubeconfig as string | undefined,
    context: v.context as string | undefined,
    namespace: v.namespace as string | undefined,
    json: v.json === true,
    help: v.help === true,
  };
  const values: OptionValues = {};
  for (const name of Object.keys(options)) values[name] = v[name];
  const pos = parsed.positionals;
  if (!globals.help) {
    if (pos.length < positionals.min) {
      throw new UsageError(`missing ${positionals.names ?? 'argument'}.`, usage);
    }
    if (pos.length > positionals.max) {
      const extra = pos.slice(positionals.max).map((p) => JSON.stringify(p)).join(' ');
      throw new UsageError(`unexpected argument${pos.length - positionals.max > 1 ? 's' : ''} ${extra}.`, usage);
    }
  }
  return { globals, values, positionals: pos };
}

/** Global options given before the command words (`terrarium --json env list`). */
export interface LeadingGlobals {
  /** The tokens, to be parsed again together with the command's own arguments. */
  tokens: string[];
  /** The rest: command words and their arguments. */
  rest: string[];
  help: boolean;
  version: boolean;
}

const SHORT: Record<string, string> = { n: 'namespace', h: 'help', V: 'version' };

/** Splits leading global options from the command. Unknown leading flags are a usage error. */
export function splitLeadingGlobals(argv: string[], usage: string): LeadingGlobals {
  const tokens: string[] = [];
  let help = false;
  let version = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--' || !a.startsWith('-') || a === '-') break;
    const long = a.startsWith('--');
    const [rawName, inline] = long ? splitOnce(a.slice(2), '=') : [a.slice(1, 2), a.length > 2 ? a.slice(2) : undefined];
    const name = long ? rawName : SHORT[rawName];
    if (name === 'version') { version = true; continue; }
    if (name === 'help') { help = true; continue; }
    const spec = name ? (GLOBAL_OPTIONS as OptionSpecs)[name] : undefined;
    if (!spec) throw new UsageError(`unknown option ${long ? `--${rawName}` : `-${rawName}`}.`, usage);
    tokens.push(a);
    if (spec.type === 'string' && inline === undefined) {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError(`option ${a} needs a value.`, usage);
      tokens.push(value);
      i++;
    }
  }
  return { tokens, rest: argv.slice(i), help, version };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const at = s.indexOf(sep);
  return at < 0 ? [s, undefined] : [s.slice(0, at), s.slice(at + 1)];
}

/** A whole number argument such as a replica count; range checks are the core's (with its limit). */
export function parseWholeNumber(value: string, what: string, usage: string): number {
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`${what} must be a whole number, not ${JSON.stringify(value)}.`, usage);
  return Number(value);
}

/** "500m/2" -> request 500m, limit 2; "500m" -> request only; "/2" -> limit only. Quantities are checked by the core. */
export function parseRequestLimit(value: string, what: string, usage: string): { request?: string; limit?: string } {
  const parts = value.split('/');
  if (parts.length > 2 || parts.every((p) => p.trim() === '')) {
    throw new UsageError(`${what} must be REQUEST or REQUEST/LIMIT (e.g. "500m/2"), not ${JSON.stringify(value)}.`, usage);
  }
  const [request, limit] = parts.map((p) => p.trim());
  return { ...(request ? { request } : {}), ...(limit ? { limit } : {}) };
}
