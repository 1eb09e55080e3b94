/**
 * Runs exec readiness probes through one long-lived helper (prober.py) instead of spawning each
 * from the kube-sim process: a spawn forks kube-sim's whole Node heap, and 60 pods probed every
 * 2 s (the devenv's periodSeconds) spent two thirds of kube-sim's CPU there, on the API server's
 * event loop (profiled under the claims benchmark). The helper is started on first use; results
 * are the same as a direct spawn: exit code, combined output (last 10 KiB), timeout kills the group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ProbeRun { argv: string[]; cwd: string; env: NodeJS.ProcessEnv; uid?: number; gid?: number; timeoutMs: number }
export type ProbeRunResult = { code: number | null; out: string } | { timedOut: true } | { error: string };

const HELPER = join(__dirname, 'prober.py');

/** The idle helper does not keep the process alive; a probe in flight does. */
function hold(c: ChildProcess, on: boolean): void {
  for (const h of [c, c.stdin, c.stdout] as unknown as { ref?: () => void; unref?: () => void }[]) {
    if (on) h?.ref?.(); else h?.unref?.();
  }
}

export function createProber(): { run(p: ProbeRun): Promise<ProbeRunResult>; close(): void } {
  let child: ChildProcess | undefined;
  let next = 0;
  const waiting = new Map<number, (r: ProbeRunResult) => void>();
  const failAll = (why: string) => { for (const done of waiting.values()) done({ error: why }); waiting.clear(); };
  const start = (): ChildProcess => {
    const c = spawn('python3', [HELPER], { stdio: ['pipe', 'pipe', 'inherit'] });
    hold(c, false);
    createInterface({ input: c.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { id: number } & Record<string, unknown>;
      const done = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (!waiting.size) hold(c, false);
      done?.(msg.timedOut ? { timedOut: true } : msg.error !== undefined ? { error: String(msg.error) } : { code: msg.code as number | null, out: String(msg.out ?? '') });
    });
    c.on('error', (e) => { failAll(`probe helper: ${e.message}`); child = undefined; });
    c.on('close', () => { failAll('probe helper exited'); child = undefined; });
    return c;
  };
  return {
    run(p) {
      child ??= start();
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        hold(child!, true);
        child!.stdin!.write(`${JSON.stringify({ id, argv: p.argv, cwd: p.cwd, env: p.env, uid: p.uid, gid: p.gid, timeoutMs: p.timeoutMs })}\n`);
      });
    },
    close() { child?.kill('SIGKILL'); child = undefined; },
  };
}
