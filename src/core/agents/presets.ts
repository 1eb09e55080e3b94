/**
 * Agent presets for "New Agent Session": what to run, and how to install it when the sandbox does
 * not have it (manifests/image/terrarium-agents). People add their own with `terrarium.agents`;
 * their env may name the sandbox's secrets, which are read inside the sandbox, never by us.
 */
import { TerrariumError } from '../kube/errors';
import { SECRET_MOUNT_ROOT, validateSecretName } from '../devenv/secretUse';
import type { ExecRunner } from '../kube/exec';

export interface AgentPreset {
  /** Short id (`--preset claude`). */
  id: string;
  /** What the picker shows. */
  label: string;
  /** argv run in the session; empty: the login shell. */
  command: string[];
  /** Environment: literal values, `secret:NAME/KEY` (a secret given as files, /run/secrets/NAME/KEY)
   * or `env:VAR` (a variable the sandbox has, e.g. from a secret given as env vars). */
  env?: Record<string, string>;
  /** The image helper's agent name: `terrarium-agents install <install>`. */
  install?: string;
  /** The session name offered. */
  session: string;
}

export const BUILTIN_PRESETS: readonly AgentPreset[] = [
  { id: 'shell', label: 'Shell', command: [], session: 'shell' },
  { id: 'claude', label: 'Claude Code', command: ['claude'], install: 'claude-code', session: 'claude' },
  { id: 'codex', label: 'Codex', command: ['codex'], install: 'codex', session: 'codex' },
  { id: 'aider', label: 'Aider', command: ['aider'], install: 'aider', session: 'aider' },
  { id: 'gemini', label: 'Gemini CLI', command: ['gemini'], install: 'gemini', session: 'gemini' },
];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function bad(what: string, hint: string): TerrariumError {
  return new TerrariumError('InvalidInput', `terrarium.agents: ${what}`, hint);
}

/** One `terrarium.agents` entry ({ name, command, env?, install? }) as a preset; throws on a bad entry. */
export function presetFromSetting(raw: unknown): AgentPreset {
  const o = (raw ?? {}) as Record<string, unknown>;
  const name = typeof o.name === 'string' ? o.name.trim() : '';
  if (!ID.test(name)) throw bad(`${JSON.stringify(String(o.name ?? '')).slice(0, 80)} is not a valid agent name.`, 'Use 1-64 letters, digits, "-" or "_", e.g. "my-agent".');
  const command = Array.isArray(o.command) ? o.command : typeof o.command === 'string' ? [o.command] : [];
  if (!command.length || !command.every((a) => typeof a === 'string' && a !== '')) {
    throw bad(`agent "${name}" has no command.`, 'Give "command" as an argv array, e.g. ["my-agent", "--yes"] (no shell: use ["sh", "-lc", "..."] for one).');
  }
  const env: Record<string, string> = {};
  if (o.env !== undefined) {
    if (typeof o.env !== 'object' || o.env === null || Array.isArray(o.env)) throw bad(`agent "${name}": "env" must be an object.`, 'e.g. { "ANTHROPIC_API_KEY": "secret:agent-keys/anthropic" }');
    for (const [k, v] of Object.entries(o.env)) {
      if (!ENV_NAME.test(k) || typeof v !== 'string') throw bad(`agent "${name}": env ${JSON.stringify(k).slice(0, 80)} is not NAME: "value".`, 'Names are letters, digits and "_"; values are strings.');
      envSource(v); // validates references
      env[k] = v;
    }
  }
  const install = typeof o.install === 'string' && ID.test(o.install) ? o.install : undefined;
  return { id: name, label: name, command: command as string[], env, install, session: name };
}

/** Built-ins, then the person's own (theirs win on the same id). Bad entries are reported, not fatal. */
export function allPresets(setting: unknown): { presets: AgentPreset[]; errors: string[] } {
  const out = new Map(BUILTIN_PRESETS.map((p) => [p.id, p]));
  const errors: string[] = [];
  for (const raw of Array.isArray(setting) ? setting : []) {
    try { const p = presetFromSetting(raw); out.set(p.id, p); } catch (e) { errors.push(e instanceof Error ? e.message : String(e)); }
  }
  return { presets: [...out.values()], errors };
}

export function findPreset(id: string, setting?: unknown): AgentPreset {
  const { presets } = allPresets(setting);
  const p = presets.find((x) => x.id === id);
  if (!p) {
    throw new TerrariumError('InvalidInput', `There is no agent preset "${id}".`, `Use one of: ${presets.map((x) => x.id).join(', ')}.`);
  }
  return p;
}

type EnvSource = { kind: 'value'; value: string } | { kind: 'file'; path: string } | { kind: 'env'; name: string };

/** What an env value means. `secret:NAME/KEY` is a file under /run/secrets; the value never leaves the sandbox. */
export function envSource(v: string): EnvSource {
  if (v.startsWith('secret:')) {
    const [name, key, ...rest] = v.slice('secret:'.length).split('/');
    if (!name || !key || rest.length) throw bad(`${JSON.stringify(v)} is not secret:NAME/KEY.`, 'e.g. "secret:agent-keys/anthropic": the secret agent-keys given to the sandboxes as files, its key anthropic.');
    validateSecretName(name);
    if (!SECRET_KEY.test(key)) throw bad(`${JSON.stringify(v)}: "${key}" is not a secret key.`, 'Keys are letters, digits, ".", "-" and "_".');
    return { kind: 'file', path: `${SECRET_MOUNT_ROOT}/${name}/${key}` };
  }
  if (v.startsWith('env:')) {
    const name = v.slice(4);
    if (!ENV_NAME.test(name)) throw bad(`${JSON.stringify(v)} is not env:VARIABLE.`, 'e.g. "env:OPENAI_API_KEY" (a variable the sandbox has).');
    return { kind: 'env', name };
  }
  return { kind: 'value', value: v };
}

/**
 * Reads each `NAME FILE|env|value` triple from its arguments, exports it, then execs the command.
 * A constant script: names, paths and values arrive as arguments, never as shell text. Secrets are
 * read inside the sandbox, so they are in neither our argv, the audit log, nor tmux's command line.
 */
const ENV_SCRIPT = 'while [ "$1" != -- ]; do k=$1; how=$2; v=$3; shift 3; '
  + 'case $how in file) p=$v; v=$(cat -- "$p") || { echo "terrarium: cannot read $p for $k (is the secret given to the sandboxes as files?)" >&2; exit 126; };; '
  + 'env) v=$(printenv -- "$v");; esac; export "$k=$v"; done; shift; exec "$@"';

/** The argv a session runs for a preset: the command, wrapped to set its env when it has any. */
export function presetArgv(p: AgentPreset): string[] | undefined {
  if (!p.command.length) return undefined;
  const entries = Object.entries(p.env ?? {});
  if (!entries.length) return [...p.command];
  const args: string[] = [];
  for (const [k, v] of entries) {
    const src = envSource(v);
    args.push(k, src.kind, src.kind === 'file' ? src.path : src.kind === 'env' ? src.name : src.value);
  }
  return ['sh', '-c', ENV_SCRIPT, 'terrarium-env', ...args, '--', ...p.command];
}

/** How to get a missing agent: the image's helper, else a hint to install it some other way. */
export function installArgv(p: AgentPreset): string[] | undefined {
  return p.install ? ['terrarium-agents', 'install', p.install] : undefined;
}

/**
 * Whether `command` is on the sandbox's PATH, asked with `command -v` through a login shell (PATH
 * includes the workspace's npm prefix and ~/.local/bin). The name is an argument, never shell text.
 */
export async function commandExists(exec: ExecRunner, sandbox: string, command: string, signal?: AbortSignal): Promise<boolean> {
  const r = await exec(sandbox, ['sh', '-lc', 'command -v -- "$1" >/dev/null 2>&1', 'sh', command], { signal, timeoutMs: 20_000 });
  return r.exitCode === 0;
}
