/**
 * Terrarium's ssh config: one generated file per environment (a Host block per sandbox), pulled
 * in by a single Include line at the top of the user's config, so an earlier `Host *` block of
 * the user's cannot override our settings and the user's own entries are never touched.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { TerrariumError } from '../kube/errors';
import { hasControlChars } from '../text/controlChars';
import { MAX_CONTROL_DIR_LENGTH } from './controlDir';
import { writeFileAtomic } from './files';
import { assertTargetId, envGroup, removeTargets, targetId, writeTargets, type ProxyTarget } from './targets';

export type { ProxyTarget } from './targets';

const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';

/** A readable alias part; names that had to change get a short hash so two can't collide. */
export function aliasPart(s: string): string {
  const c = clean(s);
  return c === s ? c : `${c.slice(0, 40)}-${createHash('sha256').update(s).digest('hex').slice(0, 6)}`;
}

export function hostAlias(context: string, namespace: string, sandbox: string): string {
  return `terrarium.${aliasPart(context)}.${aliasPart(namespace)}.${aliasPart(sandbox)}`;
}

/**
 * The name a sandbox's host key is pinned under: its Host alias and the first 8 characters of its
 * workspace PVC's uid. Each sandbox has its own key, kept with its workspace: a pod restart keeps
 * alias and key; a recycled sandbox (a new PVC) is a new alias, pinned fresh, never a "changed" key.
 */
export function sandboxHostKeyAlias(context: string, namespace: string, sandbox: string, pvcUid: string): string {
  if (!pvcUid) throw new Error('sandboxHostKeyAlias: the PVC uid is empty.');
  return `${hostAlias(context, namespace, sandbox)}.${aliasPart(pvcUid.slice(0, 8))}`;
}

/** POSIX shell quoting: ssh runs ProxyCommand as `exec …` with the user's $SHELL -c. */
export function posixQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Windows: OpenSSH for Windows starts ProxyCommand with CreateProcessW (no shell), and the child
 * splits its command line with the CommandLineToArgvW rules: double quotes, backslashes doubled
 * only before a quote or at the end of a quoted argument.
 */
export function windowsQuote(arg: string): string {
  // Quoted also for what cmd.exe reads outside quotes, in case cmd wraps the line.
  if (arg && !/[\s"&|<>^%()!,;=]/.test(arg)) return arg;
  return `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

/** ssh expands %-tokens in ProxyCommand, IdentityFile and UserKnownHostsFile: a literal % is %%. */
const escapePercent = (s: string) => s.replace(/%/g, '%%');

/**
 * Quoting for values of ssh_config keywords (paths with spaces). OpenSSH (8.7 and later) splits
 * a config line like a shell word list: double quotes group, and a backslash escapes \\, " and '.
 */
const configValue = (s: string) =>
  (/[\s"'#\\]/.test(s) ? `"${s.replace(/\\(?=[\\"']|$)/g, '\\\\').replace(/"/g, '\\"')}"` : s);

/**
 * Paths of this machine (node, the CLI, keys, known_hosts, Terrarium's folder) end up on ssh
 * config lines. None may carry a control character, and none may carry `${`, which ssh expands
 * as an environment variable in IdentityFile and UserKnownHostsFile.
 */
export function assertMachinePath(what: string, p: string): void {
  if (!p || hasControlChars(p) || p.includes('${') || /\\['"]/.test(p)) {
    throw new TerrariumError('InvalidInput',
      `The ${what} path ${JSON.stringify(p)} cannot be written into an ssh config: it is empty or contains a control character, "\${", or a backslash before a quote.`,
      `Move Terrarium (or the ${what}) to a folder whose path has only printable characters, then connect again.`);
  }
}

/** What cmd.exe would interpret inside our `cmd /d /c "…"` wrapper: refused in anything placed there. */
const CMD_SPECIAL = /["%^&|<>!]/;

export interface ProxyLauncher {
  /** The Node (or Electron-as-Node) executable. */
  node: string;
  /** The bundled CLI, dist/cli.js. */
  cli: string;
  /**
   * The ProxyCommand's own bundle, dist/proxy.js (src/proxy/main.ts): what ssh runs on every
   * connect, a fraction of the CLI to load. Without it, the config runs `cli ssh-proxy`.
   */
  proxy?: string;
  /**
   * Multiplexing (POSIX OpenSSH only): this private 0700 folder holds the control sockets, and a
   * sandbox's later ssh connections ride its first one (ControlMaster auto, ControlPersist) instead
   * of starting a ProxyCommand and a handshake each. Off unless asked for (terrarium.ssh.controlMaster,
   * --control-master): a session over a live master is not re-authorized by the API server or sshd.
   */
  controlDir?: string;
  /** Extra environment for the launcher, e.g. ELECTRON_RUN_AS_NODE=1 inside VS Code. */
  env?: Record<string, string>;
}

/** Where ssh-proxy finds a target: Terrarium's folder of target files and one opaque id. */
export interface ProxyTargetRef {
  dir: string;
  id: string;
}

/** The argv (launcher included) that a ProxyCommand must run, before any quoting. */
export function proxyArgv(launcher: ProxyLauncher, ref: ProxyTargetRef): string[] {
  assertTargetId(ref.id);
  assertMachinePath('Node executable', launcher.node);
  assertMachinePath('Terrarium state folder', ref.dir);
  if (launcher.proxy !== undefined) {
    assertMachinePath('Terrarium ProxyCommand', launcher.proxy);
    return [launcher.node, launcher.proxy, '--target-dir', ref.dir, '--target', ref.id];
  }
  assertMachinePath('Terrarium CLI', launcher.cli);
  return [launcher.node, launcher.cli, 'ssh-proxy', '--target-dir', ref.dir, '--target', ref.id];
}

/**
 * The ProxyCommand line: launcher, dist/proxy.js (or the CLI's `ssh-proxy`), `--target-dir DIR --target ID`. Nothing a
 * cluster or kubeconfig controls is on it; ssh-proxy reads context, namespace and pod from the
 * 0600 target file. POSIX: quoted for the user's shell (ssh runs `$SHELL -c`). Windows: run
 * directly when no environment is needed; Electron-as-Node needs ELECTRON_RUN_AS_NODE, which only
 * cmd can set, so then every path must be free of what cmd interprets.
 */
export function proxyCommand(launcher: ProxyLauncher, ref: ProxyTargetRef, platform: NodeJS.Platform = process.platform): string {
  const args = proxyArgv(launcher, ref);
  const env = Object.entries(launcher.env ?? {});
  for (const [k, v] of env) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || !/^[A-Za-z0-9._-]*$/.test(v)) throw new Error(`Unexpected launcher environment ${k}=${v}`);
  }
  if (platform === 'win32') {
    const cmd = args.map(windowsQuote).join(' ');
    if (!env.length) return escapePercent(cmd);
    const bad = args.find((a) => CMD_SPECIAL.test(a));
    if (bad !== undefined) {
      throw new TerrariumError('InvalidInput',
        `The path ${bad} contains one of " % ^ & | < > !, which cmd.exe would interpret in the ssh ProxyCommand that starts VS Code's Node.`,
        'Install VS Code, and keep its user data folder, in folders whose paths have none of these characters.');
    }
    return escapePercent(`cmd /d /c "${env.map(([k, v]) => `set ${k}=${v}&&`).join(' ')} ${cmd}"`);
  }
  if (env.length && launcher.node.includes('=')) {
    // `env` takes any word with "=" before the program for another assignment.
    throw new TerrariumError('InvalidInput', `The editor's executable path ${launcher.node} contains "=", which env(1) would read as a variable assignment in the ssh ProxyCommand.`,
      'Install VS Code in a folder whose path has no "=".');
  }
  const cmd = args.map(posixQuote).join(' ');
  return escapePercent(env.length ? `env ${env.map(([k, v]) => posixQuote(`${k}=${v}`)).join(' ')} ${cmd}` : cmd);
}

/** How long a master connection outlives its last session: Remote-SSH's next connection within it is immediate. */
export const CONTROL_PERSIST_SECONDS = 60;

/**
 * ControlMaster lines for a launcher that asks for multiplexing; none on Windows (its OpenSSH has
 * no ControlMaster). %C (a hash of the host, port, user and local host) keeps the socket path short
 * (Unix sockets allow about 104 bytes).
 */
function controlLines(launcher: ProxyLauncher, platform: NodeJS.Platform = process.platform): string[] {
  if (launcher.controlDir === undefined || platform === 'win32') return [];
  assertMachinePath('ssh control socket folder', launcher.controlDir);
  if (/[%\s"'\\]/.test(launcher.controlDir)) {
    throw new TerrariumError('InvalidInput', `The ssh control socket folder ${launcher.controlDir} has a space, quote, backslash or %, which ControlPath would mangle.`,
      'Turn off terrarium.ssh.controlMaster (or drop --control-master), or use a home folder without them.');
  }
  if (Buffer.byteLength(launcher.controlDir) > MAX_CONTROL_DIR_LENGTH) {
    throw new TerrariumError('InvalidInput', `The ssh control socket folder ${launcher.controlDir} is longer than ${MAX_CONTROL_DIR_LENGTH} bytes: its sockets' paths would not fit a Unix socket address.`,
      'Turn off terrarium.ssh.controlMaster (or drop --control-master), or use a shorter home folder path.');
  }
  return ['  ControlMaster auto', `  ControlPath ${launcher.controlDir}/%C`, `  ControlPersist ${CONTROL_PERSIST_SECONDS}`];
}

export interface EnvironmentConfig {
  context: string;
  namespace: string;
  environment: string;
  sandboxes: string[];
  /**
   * The pinned HostKeyAlias of each sandbox whose host key is known (sandboxHostKeyAlias). Sandboxes
   * without one get no Host block (a comment lists them) until they are prepared and pinned.
   */
  hostKeyAliases: Readonly<Record<string, string>>;
  identityFile: string;
  knownHostsFile: string;
  launcher: ProxyLauncher;
  kubeconfig?: string;
  /** Written acting for this user (--user): every proxy target of the environment acts for them. */
  actAs?: string;
  /** The folder of target files ssh-proxy reads (sshPaths(...).targetsDir). */
  targetsDir: string;
  platform?: NodeJS.Platform;
}

/** The sandboxes that get a Host block: those with a pinned host key, in order. */
function configured(c: Pick<EnvironmentConfig, 'sandboxes' | 'hostKeyAliases'>): string[] {
  return c.sandboxes.filter((s) => Object.hasOwn(c.hostKeyAliases, s));
}

/** The target of each sandbox with a Host block, in order, as the environment's config names them. */
export function environmentTargets(c: Pick<EnvironmentConfig, 'context' | 'namespace' | 'environment' | 'sandboxes' | 'hostKeyAliases' | 'kubeconfig' | 'actAs'>): ProxyTarget[] {
  return configured(c).map((pod) => ({
    kubeconfig: c.kubeconfig, context: c.context, namespace: c.namespace, pod, port: 2222, group: envGroup(c.context, c.namespace, c.environment),
    ...(c.actAs !== undefined ? { actAs: c.actAs } : {}),
  }));
}

/**
 * The generated file. Cluster-controlled names (context, namespace, sandbox, environment) appear
 * only through aliasPart, which keeps [a-z0-9-]: never raw, not even in a comment.
 */
export function renderEnvironmentConfig(c: EnvironmentConfig): string {
  assertMachinePath('identity file', c.identityFile);
  assertMachinePath('known_hosts', c.knownHostsFile);
  const lines = [
    `# Generated by Terrarium for environment ${aliasPart(c.environment)} (hosts ${hostAlias(c.context, c.namespace, '')}*).`,
    '# Rewritten on every connect and removed with the environment; edit your own ~/.ssh/config instead.',
  ];
  const pending = c.sandboxes.filter((s) => !Object.hasOwn(c.hostKeyAliases, s));
  if (pending.length) {
    lines.push(`# Host key not known yet (no Host entry until you connect to it, or "ssh-config --write" while it is yours): ${pending.map(aliasPart).join(', ')}.`);
  }
  const sandboxes = configured(c);
  environmentTargets(c).forEach((target, i) => {
    const sandbox = sandboxes[i]!;
    const keyAlias = c.hostKeyAliases[sandbox]!;
    // Ours (aliasPart and the uid's first characters), checked anyway: it is written on a config line.
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(keyAlias)) throw new Error(`Unexpected HostKeyAlias ${JSON.stringify(keyAlias)}`);
    lines.push('',
      `Host ${hostAlias(c.context, c.namespace, sandbox)}`,
      `  HostName ${aliasPart(sandbox)}.${aliasPart(c.namespace)}.terrarium.invalid`,
      '  Port 2222',
      '  User dev',
      `  IdentityFile ${configValue(escapePercent(c.identityFile))}`,
      '  IdentitiesOnly yes',
      `  HostKeyAlias ${keyAlias}`,
      `  UserKnownHostsFile ${configValue(escapePercent(c.knownHostsFile))}`,
      '  StrictHostKeyChecking yes',
      '  UpdateHostKeys no',
      '  ServerAliveInterval 15',
      '  ServerAliveCountMax 4',
      `  ProxyCommand ${proxyCommand(c.launcher, { dir: c.targetsDir, id: targetId(target) }, c.platform)}`,
      ...controlLines(c.launcher, c.platform),
    );
  });
  return lines.join('\n') + '\n';
}

export interface TerrariumSshPaths {
  dir: string;
  configDir: string;
  knownHosts: string;
  /** A standalone config (`ssh -F`) that includes every environment file. */
  standalone: string;
  /** One 0600 JSON file per ProxyCommand target (see targets.ts). */
  targetsDir: string;
}

export function sshPaths(stateDir: string): TerrariumSshPaths {
  return {
    dir: stateDir, configDir: join(stateDir, 'config.d'), knownHosts: join(stateDir, 'known_hosts'),
    standalone: join(stateDir, 'ssh_config'), targetsDir: join(stateDir, 'targets'),
  };
}

export function environmentConfigFile(paths: TerrariumSshPaths, context: string, namespace: string, environment: string): string {
  return join(paths.configDir, `${aliasPart(context)}.${aliasPart(namespace)}.${aliasPart(environment)}.conf`);
}

export function includeLine(paths: TerrariumSshPaths, platform: NodeJS.Platform = process.platform): string {
  assertMachinePath('Terrarium state folder', paths.configDir);
  // Include globs its argument (a backslash escapes in POSIX glob; newer OpenSSH may expand
  // %-tokens too): refuse those rather than guess each version's escaping.
  if ((platform === 'win32' ? /[*?[\]%]/ : /[*?[\]%\\]/).test(paths.configDir)) {
    throw new TerrariumError('InvalidInput', `Terrarium's folder ${paths.configDir} contains one of * ? [ ] %${platform === 'win32' ? '' : ' \\'}, which an ssh Include line would expand.`,
      'Use a state folder (XDG_CONFIG_HOME, or VS Code\'s user data folder) whose path has none of these characters.');
  }
  return `Include ${configValue(join(paths.configDir, '*.conf'))}`;
}

export type IncludeResult = { installed: true; changed: boolean; file: string } | { installed: false; file: string; reason: string };

/**
 * The file to write for the user's ssh config: a dotfiles-style symlink is written through (its
 * target changes, the link stays); a dangling one is not created behind the user's back.
 */
function resolveUserConfig(userConfig: string): { file: string } | { reason: string } {
  let link: Stats;
  try {
    link = lstatSync(userConfig);
  } catch {
    return { file: userConfig };
  }
  if (!link.isSymbolicLink()) return { file: userConfig };
  try {
    return { file: realpathSync(userConfig) };
  } catch (e) {
    let to = '?';
    try { to = readlinkSync(userConfig); } catch {}
    return { reason: `${userConfig} is a symbolic link to ${to}, which does not exist (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); Terrarium leaves it alone.` };
  }
}

/**
 * Puts the Include line at the very top of the user's ssh config (once), creating the file 0600
 * if missing. Everything else in the file stays byte for byte. A read-only config is not an
 * error: the caller falls back to `ssh -F <standalone>` and says so.
 */
export function ensureInclude(userConfig: string, paths: TerrariumSshPaths): IncludeResult {
  const line = includeLine(paths);
  const fallback = `using "ssh -F ${paths.standalone}" instead.`;
  const target = resolveUserConfig(userConfig);
  if ('reason' in target) return { installed: false, file: userConfig, reason: `${target.reason} Fix the link to add Terrarium's Include line; ${fallback}` };
  let text: string;
  try {
    text = existsSync(target.file) ? readFileSync(target.file, 'utf8') : '';
  } catch (e) {
    return { installed: false, file: userConfig, reason: `Could not read ${target.file}: ${(e as Error).message}; ${fallback}` };
  }
  if (text.split(/\r?\n/).some((l) => l.trim() === line)) return { installed: true, changed: false, file: userConfig };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  try {
    writeFileAtomic(target.file, `# Added by Terrarium: its generated hosts (kept first so "Host *" blocks below cannot override them).${eol}${line}${eol}${eol}${text}`, 0o600);
    return { installed: true, changed: true, file: userConfig };
  } catch (e) {
    return { installed: false, file: userConfig, reason: `Could not add Terrarium's Include line to ${target.file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${fallback}` };
  }
}

export function writeStandalone(paths: TerrariumSshPaths): void {
  const include = includeLine(paths);
  writeFileAtomic(paths.standalone, `# Terrarium's hosts, for "ssh -F <this file> <alias>".\n${include}\n`, 0o600);
}

/** Writes the environment's target files, then its config (so no line names a missing target). */
export function writeEnvironmentConfig(paths: TerrariumSshPaths, c: Omit<EnvironmentConfig, 'targetsDir'>): string {
  const full: EnvironmentConfig = { ...c, targetsDir: paths.targetsDir };
  const text = renderEnvironmentConfig(full);
  writeTargets(paths.targetsDir, envGroup(c.context, c.namespace, c.environment), environmentTargets(full));
  if (c.launcher.controlDir !== undefined && (c.platform ?? process.platform) !== 'win32') {
    // Private: whoever can reach a control socket can open sessions on its connection.
    mkdirSync(c.launcher.controlDir, { recursive: true, mode: 0o700 });
    chmodSync(c.launcher.controlDir, 0o700);
  }
  const file = environmentConfigFile(paths, c.context, c.namespace, c.environment);
  writeFileAtomic(file, text, 0o600);
  writeStandalone(paths);
  return file;
}

export function removeEnvironmentConfig(paths: TerrariumSshPaths, context: string, namespace: string, environment: string): void {
  rmSync(environmentConfigFile(paths, context, namespace, environment), { force: true });
  removeTargets(paths.targetsDir, envGroup(context, namespace, environment));
}
