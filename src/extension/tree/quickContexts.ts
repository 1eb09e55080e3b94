/**
 * The cluster rows from the kubeconfig alone, for the moment the view opens: the files are read
 * and parsed here, without the core bundle (client-node) or any request, so the rows show at once;
 * the session's full discovery, the watch and the health check fill in later. Same file choice as
 * core/kube/kubeconfig.ts: the terrarium.kubeconfig setting, else KUBECONFIG (merged: the first
 * file naming a context or current-context wins), else ~/.kube/config. Anything unusual (no file,
 * a file this quick reader is not sure about, no contexts) returns undefined and the tree waits for
 * the full discovery instead. No YAML library (kubeconfigText.ts): this file is in dist/extension.js,
 * which VS Code parses at every activation.
 * No vscode import: unit tested in plain Node.
 */
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readKubeconfigText } from './kubeconfigText';

export interface QuickContext { name: string; server?: string }
export interface QuickRoot { contexts: QuickContext[]; current: string }

export interface QuickOptions {
  /** The terrarium.kubeconfig setting (a path list). */
  explicitPath?: string;
  /** The context picked in this workspace (Switch Context), else the terrarium.context setting. */
  picked?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  readFile?: (file: string) => string;
}

function files(o: QuickOptions): string[] {
  const home = o.home ?? os.homedir();
  const list = o.explicitPath?.trim() || o.env?.KUBECONFIG?.trim();
  const expand = (p: string) => path.resolve(p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p);
  if (list) return [...new Set(list.split(path.delimiter).filter((p) => p.trim()).map((p) => expand(p.trim())))];
  return [path.join(home, '.kube', 'config')];
}

export function quickContexts(o: QuickOptions = {}): QuickRoot | undefined {
  const read = o.readFile ?? ((f: string) => nodeFs.readFileSync(f, 'utf8'));
  const contexts = new Map<string, string | undefined>();
  const servers = new Map<string, string | undefined>();
  let current: string | undefined;
  for (const f of files({ ...o, env: o.env ?? process.env })) {
    let text: string;
    try {
      text = read(f);
    } catch {
      continue; // missing or unreadable: the full discovery says why
    }
    const doc = readKubeconfigText(text);
    if (!doc) return undefined; // not sure what this file says: the full discovery reads it
    if (!current && doc.current) current = doc.current;
    for (const c of doc.contexts) if (c.name && !contexts.has(c.name)) contexts.set(c.name, c.cluster ?? undefined);
    for (const c of doc.clusters) if (c.name !== null && !servers.has(c.name)) servers.set(c.name, c.server ?? undefined);
  }
  // A choice the kubeconfig does not have is the full discovery's to explain.
  const chosen = o.picked || current;
  if (!contexts.size || !chosen || !contexts.has(chosen)) return undefined;
  return {
    contexts: [...contexts].map(([name, cluster]) => ({ name, server: cluster === undefined ? undefined : servers.get(cluster) })),
    current: chosen,
  };
}
