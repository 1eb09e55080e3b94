/**
 * ProxyCommand targets. The generated ssh config names a sandbox only by an opaque id
 * (`terrarium ssh-proxy --target-dir DIR --target ID`); what the id means (kubeconfig, context,
 * namespace, pod, port) lives in DIR/ID.json, 0600, owned by the user. So no text a cluster or a
 * kubeconfig controls is ever on an ssh config line. Kept free of heavy imports: ssh-proxy reads
 * it on every connect.
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { TerrariumError } from '../kube/errors';
import { hasControlChars } from '../text/controlChars';
import { writeFileAtomic } from './files';

export interface ProxyTarget {
  /** Absolute kubeconfig path(s), joined by path.delimiter; undefined: the proxy discovers it. */
  kubeconfig?: string;
  context: string;
  namespace: string;
  pod: string;
  port?: number;
  /** Which environment config wrote it (envGroup), so removing the environment removes its targets. */
  group?: string;
  /**
   * The user the proxy acts for (impersonation), when the config was written acting for someone
   * (`terrarium ssh --user X`): the port-forward then needs X's access, checked by the API server.
   */
  actAs?: string;
}

const ID = /^[0-9a-f]{32}$/;
/** The id of a target: a digest of what it points at, so rewriting a config keeps its ids. */
export function targetId(t: ProxyTarget): string {
  // actAs only when set, so the ids of targets written before it existed stay the same.
  const key = JSON.stringify([t.kubeconfig ?? null, t.context, t.namespace, t.pod, t.port ?? 2222, ...(t.actAs !== undefined ? [t.actAs] : [])]);
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

export function assertTargetId(id: string): void {
  if (!ID.test(id)) {
    throw new TerrariumError('InvalidInput', `${JSON.stringify(id.slice(0, 80))} is not a Terrarium ssh target id (32 hex digits).`,
      'Regenerate the ssh config: "terrarium ssh-config ENV --write", or Connect again in VS Code.');
  }
}

/** An environment's group key: opaque too, since it is stored, not shown. */
export function envGroup(context: string, namespace: string, environment: string): string {
  return createHash('sha256').update(JSON.stringify([context, namespace, environment])).digest('hex').slice(0, 16);
}

const fileOf = (dir: string, id: string) => join(dir, `${id}.json`);

function readEntry(file: string): ProxyTarget & { group?: string } {
  return JSON.parse(readFileSync(file, 'utf8')) as ProxyTarget;
}

/**
 * Writes one file per target (0600, in a 0700 folder) and drops the group's files that are no
 * longer named (sandboxes scaled away). Returns the ids, in order.
 */
export function writeTargets(dir: string, group: string, targets: ProxyTarget[]): string[] {
  for (const t of targets) {
    if (t.kubeconfig !== undefined && (!t.kubeconfig || hasControlChars(t.kubeconfig))) {
      throw new TerrariumError('InvalidInput', `The kubeconfig path ${JSON.stringify(t.kubeconfig)} contains a control character.`,
        'Point KUBECONFIG (or --kubeconfig) at a file whose path has only printable characters.');
    }
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // an older folder with looser modes would be refused by readTarget
  const ids = targets.map((t) => {
    const id = targetId(t);
    const entry = { version: 1, group, kubeconfig: t.kubeconfig, context: t.context, namespace: t.namespace, pod: t.pod, port: t.port ?? 2222, actAs: t.actAs };
    writeFileAtomic(fileOf(dir, id), JSON.stringify(entry, null, 2) + '\n', 0o600, { keepMode: false });
    return id;
  });
  removeTargets(dir, group, new Set(ids));
  return ids;
}

/** Removes the group's target files (all of them, or those not in `keep`). */
export function removeTargets(dir: string, group: string, keep: Set<string> = new Set()): void {
  let names: string[];
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names) {
    const id = name.replace(/\.json$/, '');
    if (!ID.test(id) || name !== `${id}.json` || keep.has(id)) continue;
    try {
      if (readEntry(join(dir, name)).group === group) rmSync(join(dir, name), { force: true });
    } catch {}
  }
}

const unsafe = (what: string, path: string, why: string) => new TerrariumError('InvalidInput',
  `Terrarium's ssh target ${what} ${path} ${why}, so it cannot be trusted to say where to connect.`,
  `Delete ${path} and run "terrarium ssh-config ENV --write" (or Connect in VS Code) to write it again.`);

/** POSIX only: the file must be the user's own and nobody else's to read or change. */
function checkOwnership(what: string, path: string, st: Stats, uid: number | undefined, forbidden: number): void {
  if (uid === undefined) return; // Windows: the folder's ACL (the user's profile) protects it.
  if (st.uid !== uid) throw unsafe(what, path, `is owned by uid ${st.uid}, not by you (uid ${uid})`);
  if (st.mode & forbidden) throw unsafe(what, path, `has mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} (others may ${forbidden & 0o044 ? 'read or ' : ''}change it)`);
}

/** Resolves an id written by writeTargets, refusing anything another user could have planted. */
export function readTarget(dir: string, id: string, opts: { uid?: number } = { uid: process.getuid?.() }): Required<Omit<ProxyTarget, 'kubeconfig' | 'group' | 'actAs'>> & Pick<ProxyTarget, 'kubeconfig' | 'actAs'> {
  assertTargetId(id);
  const file = fileOf(dir, id);
  let dirStat: Stats;
  let st: Stats;
  try {
    dirStat = lstatSync(dir);
    st = lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new TerrariumError('NotFound', `No Terrarium ssh target ${id} in ${dir}: the ssh config naming it is out of date (the environment or sandbox may have been removed).`,
      'Run "terrarium ssh-config ENV --write" (or Connect again in VS Code) to regenerate the ssh config.');
  }
  if (!dirStat.isDirectory()) throw unsafe('folder', dir, 'is not a directory');
  checkOwnership('folder', dir, dirStat, opts.uid, 0o022);
  if (!st.isFile()) throw unsafe('file', file, 'is not a regular file');
  checkOwnership('file', file, st, opts.uid, 0o077);
  let e: ProxyTarget;
  try {
    e = readEntry(file);
  } catch (err) {
    throw unsafe('file', file, `is not valid JSON (${(err as Error).message})`);
  }
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  const port = e.port ?? 2222;
  if (!str(e.context) || !str(e.namespace) || !str(e.pod) || !Number.isInteger(port) || port < 0 || port > 65535
    || (e.kubeconfig !== undefined && !str(e.kubeconfig)) || (e.actAs !== undefined && !str(e.actAs)) || targetId({ ...e, port }) !== id) {
    throw unsafe('file', file, 'does not hold the target its name promises');
  }
  return { kubeconfig: e.kubeconfig, context: e.context, namespace: e.namespace, pod: e.pod, port, ...(e.actAs !== undefined ? { actAs: e.actAs } : {}) };
}
