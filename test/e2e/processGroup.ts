/**
 * Processes started for the e2e tests and the playground run in their own process group
 * (`detached: true` is setsid(2)), and teardown kills the group plus every descendant found under
 * it: VS Code's extension host and pty host stay in the group, but terminals' shells start new
 * sessions, and either would otherwise outlive the test for hours.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const live = new Set<number>();
let exitHookInstalled = false;

/** Starts `command args` as the leader of a new session and process group. */
export function spawnGroup(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  if (child.pid !== undefined) {
    live.add(child.pid);
    child.once('exit', () => { if (child.pid !== undefined) live.delete(child.pid); });
  }
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test run that dies on an assertion or Ctrl-C must not leave workbench servers behind.
    process.once('exit', () => { for (const pid of live) signalTree(pid, 'SIGKILL'); });
  }
  return child;
}

/** Parent pid of every process on the machine, from /proc (Linux only, like the rest of e2e). */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: fields resume after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(fields[1]));
    } catch { /* the process ended while we looked */ }
  }
  return parents;
}

/** `pid` and all its descendants, parents before children. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const [child, parent] of parentMap()) {
    const list = children.get(parent) ?? [];
    list.push(child);
    children.set(parent, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

function signalTree(pid: number, signal: NodeJS.Signals): void {
  const tree = processTree(pid);
  try { process.kill(-pid, signal); } catch { /* group already gone */ }
  for (const p of tree) {
    try { process.kill(p, signal); } catch { /* already gone */ }
  }
}

/** Zombies count as gone: in a container nobody may ever reap an orphan. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Stops a group leader started by spawnGroup and everything under it: SIGTERM, then SIGKILL after
 * `graceMs`. Resolves when no process of the tree is left.
 */
export async function killGroup(child: ChildProcess, graceMs = 3000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  // Remember the tree now: once the leader dies its children are re-parented and untraceable.
  const tree = processTree(pid);
  signalTree(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (tree.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (tree.some(alive)) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    for (const p of tree) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    while (tree.some(alive)) await new Promise((r) => setTimeout(r, 20));
  }
  live.delete(pid);
}
