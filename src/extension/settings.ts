import { homedir } from 'node:os';
import { DEFAULT_IMAGE } from '../core/devenv/names';

/** Where a setting's value comes from, as `WorkspaceConfiguration.inspect` reports it. */
export interface SettingLayers<T> { defaultValue?: T; globalValue?: T; workspaceValue?: T; workspaceFolderValue?: T }

/** The one seam to VS Code settings: a `get` is all the logic needs, so tests pass a Map. */
export type ConfigReader = { get<T>(section: string): T | undefined; inspect?<T>(section: string): SettingLayers<T> | undefined };

/**
 * Settings a workspace must not choose: which cluster and credentials (kubeconfig, context), the
 * ssh config Terrarium writes to, the image sandboxes run and where they may connect. They are
 * `"scope": "machine"` in package.json, and VS Code does not apply machine-scoped values from
 * workspace or folder settings; reading them through `inspect` (user value, else default) keeps
 * it so even where a host would not filter them.
 */
export const MACHINE_SETTINGS = ['kubeconfig', 'context', 'image', 'egressAllowList', 'sshConfigFile', 'agents', 'ssh.controlMaster'] as const;

function userOnly(config: ConfigReader, keys: readonly string[]): ConfigReader {
  const machine = new Set<string>(keys);
  return {
    get<T>(key: string): T | undefined {
      if (!machine.has(key) || !config.inspect) return config.get<T>(key);
      const layers = config.inspect<T>(key);
      return layers ? layers.globalValue ?? layers.defaultValue : config.get<T>(key);
    },
  };
}

export interface TerrariumSettings {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  /** Whether the user set terrarium.namespace (else a context's own namespace is used). */
  namespaceExplicit?: boolean;
  image: string;
  cpu: { request?: string; limit?: string };
  memory: { request?: string; limit?: string };
  storage: { size: string; className?: string };
  maxReplicas: number;
  egressAllowList: string[];
  sshConfigFile?: string;
  /** terrarium.ssh.controlMaster: multiplexed ssh connections (a workspace cannot turn it on). */
  sshControlMaster: boolean;
  connectionMode: 'proxy' | 'localForward';
  defaultTmuxSession: string;
}

/** "500m/2" -> { request: "500m", limit: "2" }; "1Gi" -> request and limit both "1Gi". */
export function parseRequestLimit(text: string | undefined): { request?: string; limit?: string } {
  const t = (text ?? '').trim();
  if (!t) return {};
  const [request, limit] = t.split('/').map((s) => s.trim());
  return { request: request || undefined, limit: (limit ?? request) || undefined };
}

/** Set in user, workspace or folder settings (inspect), not only the package.json default. */
function namespaceSet(config: ConfigReader): boolean {
  const set = (v: unknown) => typeof v === 'string' && v.trim() !== '';
  if (!config.inspect) return set(config.get('namespace'));
  const l = config.inspect<string>('namespace');
  return !!l && [l.globalValue, l.workspaceValue, l.workspaceFolderValue].some(set);
}

const expandHome = (p: string | undefined) => (p && p.startsWith('~') ? homedir() + p.slice(1) : p) || undefined;

/**
 * Reads `terrarium.*` (and `remote.SSH.configFile`, which wins over our default ssh config path so
 * both tools edit the same file). Bad values fall back to defaults rather than breaking activation.
 */
export function readSettings(config: ConfigReader, remoteSsh?: ConfigReader): TerrariumSettings {
  const terrarium = userOnly(config, MACHINE_SETTINGS);
  // Remote-SSH's configFile is application-scoped (user settings only): read it the same way.
  const ssh = remoteSsh && userOnly(remoteSsh, ['configFile']);
  const str = (k: string, d = '') => {
    const v = terrarium.get<string>(k);
    return typeof v === 'string' ? v.trim() : d;
  };
  const max = terrarium.get<number>('maxReplicas');
  const mode = terrarium.get<string>('connectionMode');
  const allow = terrarium.get<string[]>('egressAllowList');
  return {
    kubeconfig: expandHome(str('kubeconfig')),
    context: str('context') || undefined,
    namespace: str('namespace') || 'devenv',
    namespaceExplicit: namespaceSet(config),
    image: str('image') || DEFAULT_IMAGE,
    cpu: parseRequestLimit(str('resources.cpu', '500m/2')),
    memory: parseRequestLimit(str('resources.memory', '1Gi/4Gi')),
    storage: { size: str('storage.size') || '10Gi', className: str('storage.className') || undefined },
    maxReplicas: Number.isInteger(max) && max! > 0 ? max! : 20,
    egressAllowList: Array.isArray(allow) ? allow.filter((s) => typeof s === 'string' && s.trim()).map((s) => s.trim()) : [],
    sshConfigFile: expandHome(str('sshConfigFile')) ?? expandHome(ssh?.get<string>('configFile')?.trim()),
    sshControlMaster: terrarium.get<boolean>('ssh.controlMaster') === true,
    connectionMode: mode === 'localForward' ? 'localForward' : 'proxy',
    defaultTmuxSession: str('defaultTmuxSession') || 'main',
  };
}
