/**
 * What a deleted environment leaves on this machine: its generated ssh config file (config.d), its
 * ProxyCommand target files and its sandboxes' host-key pins in Terrarium's known_hosts. The user's
 * own ssh config keeps its one Include line (a glob over config.d: nothing to edit there).
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from './files';
import { aliasPart, environmentConfigFile, removeEnvironmentConfig, sshPaths } from './sshconfig';

export interface ForgottenEnvironment {
  /** The config file removed, if there was one. */
  configFile?: string;
  /** Host-key pins removed from Terrarium's known_hosts. */
  pins: number;
}

/**
 * True for pins of the environment's sandboxes: `terrarium.<ctx>.<ns>.<env>-<ordinal>[.<uid8>]`. An
 * exact match on the sandbox part, so deleting "web" keeps the pins of "web-2" (sandboxes web-2-0 …).
 */
export function isEnvironmentPin(alias: string, context: string, namespace: string, environment: string): boolean {
  const prefix = `terrarium.${aliasPart(context)}.${aliasPart(namespace)}.`;
  if (!alias.startsWith(prefix)) return false;
  const sandbox = alias.slice(prefix.length).split('.')[0]!;
  const m = /^(.*)-(0|[1-9][0-9]*)$/.exec(sandbox);
  return !!m && m[1] === aliasPart(environment);
}

export function forgetEnvironmentSsh(stateDir: string, context: string, namespace: string, environment: string): ForgottenEnvironment {
  const paths = sshPaths(stateDir);
  const file = environmentConfigFile(paths, context, namespace, environment);
  const had = existsSync(file);
  removeEnvironmentConfig(paths, context, namespace, environment);
  let pins = 0;
  if (existsSync(paths.knownHosts)) {
    const lines = readFileSync(paths.knownHosts, 'utf8').split('\n').filter((l) => l.trim());
    const keep = lines.filter((l) => !isEnvironmentPin(l.split(/\s+/)[0]!, context, namespace, environment));
    pins = lines.length - keep.length;
    if (pins) writeFileAtomic(paths.knownHosts, keep.length ? keep.join('\n') + '\n' : '', 0o600);
  }
  return { ...(had ? { configFile: file } : {}), pins };
}
