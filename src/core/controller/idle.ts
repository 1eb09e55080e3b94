/**
 * Idle claims and idle environments. With `terrarium.dev/claim-ttl` a claim whose sandbox shows no
 * activity for that long is released (the workspace stays, the claim and every key go); with
 * `terrarium.dev/idle-stop-after` an environment none of whose sandboxes shows activity for that
 * long is stopped (scaled to 0, remembering the count; workspaces stay). Both are off by default.
 *
 * Activity is read by one exec of a constant script per claimed sandbox, at most every few minutes
 * (and once more right before acting, so nothing is taken on stale data): attached tmux clients,
 * tmux window (pane output), session and client times, ssh sessions, and whether a tmux pane runs
 * something other than a shell (an agent). An attached client, an ssh session or a running agent
 * means "active now": such a sandbox is never idle. The script also leaves a marker file in the
 * pod's /tmp whenever it sees activity, so "last active" survives a controller restart.
 *
 * decideIdle is the pure decision; reconcileIdle reads, probes, decides and acts.
 */
import { CLAIMED_AT, CLAIMED_BY } from '../devenv/claims';
import {
  LABEL_MANAGED_BY, MANAGED_BY, SANDBOX_CONTAINER, ordinalOf, sandboxName, workspaceOrdinalOf,
} from '../devenv/names';
import { stopEnvironment } from '../devenv/operations';
import { formatDuration, readPolicy } from '../devenv/policy';
import { execRunner, type ExecRunner } from '../kube/exec';
import { isPodReady } from '../tunnel/diagnose';
import type { ControllerContext } from './context';
import { readEnvironmentState } from './environmentState';
import { releaseIdleClaim } from './release';

/** Pane commands that are a person's shell, not an agent at work. */
export const SHELLS = ['bash', 'sh', 'dash', 'zsh', 'fish', 'ksh', 'mksh', 'ash', 'tcsh', 'csh', 'login'];

/**
 * The activity probe. A constant: nothing from the cluster is in argv. Lines: `now T`, `client T`,
 * `window T`, `session T`, `pane DEAD CMD`, `ssh N`, `mark T` (T in the pod's epoch seconds).
 * ssh sessions are the pod's established TCP connections to sshd's port 2222 (0x08AE) in
 * /proc/net/tcp{,6}: every SSH connection arrives through a port-forward, which the pod sees as a
 * connection to 127.0.0.1:2222. Only connections seen twice, 0.3 s apart, count: the readiness
 * probe's own connection to sshd lasts milliseconds.
 */
export const ACTIVITY_SCRIPT = `set -u
echo "now $(date +%s)"
busy=0
if command -v tmux >/dev/null 2>&1; then
  tmux list-clients -F 'client #{client_activity}' 2>/dev/null
  tmux list-windows -a -F 'window #{window_activity}' 2>/dev/null
  tmux list-sessions -F 'session #{session_activity}' 2>/dev/null
  panes=$(tmux list-panes -a -F 'pane #{pane_dead} #{pane_current_command}' 2>/dev/null || true)
  [ -n "$panes" ] && printf '%s\\n' "$panes"
  [ -n "$(tmux list-clients 2>/dev/null)" ] && busy=1
  printf '%s\\n' "$panes" | while read -r _ dead cmd; do
    [ "$dead" = 0 ] || continue
    case "$cmd" in ${SHELLS.join('|')}|-*|'') ;; *) exit 1 ;; esac
  done || busy=1
fi
conns() { cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | sed -nE 's/^ *[0-9]+: ([0-9A-F]+:08AE [0-9A-F]+:[0-9A-F]{4}) 01 .*/\\1/p'; }
a=$(conns); sleep 0.3; b=$(conns)
n=$(printf '%s\\n%s\\n' "$a" "$b" | grep . | sort | uniq -d | grep -c . || true)
echo "ssh \${n:-0}"
mark="\${TMPDIR:-/tmp}/.terrarium-activity"
if [ "$busy" = 1 ] || [ "\${n:-0}" -gt 0 ]; then touch "$mark" 2>/dev/null || true; fi
[ -f "$mark" ] && echo "mark $(stat -c %Y "$mark" 2>/dev/null || echo 0)"
exit 0`;

/** What one probe saw, with times on the controller's clock. */
export interface Activity {
  probedAt: number;
  clients: number;
  /** Live tmux panes running something other than a shell. */
  agents: number;
  ssh: number;
  /** Latest tmux/marker time, converted to the controller's clock; undefined when there is none. */
  lastActivity?: number;
}

/** Parses the script's output; pod times are converted with the pod's own "now" (no clock skew). */
export function parseActivity(stdout: string, probedAt: number): Activity {
  let podNow: number | undefined;
  let clients = 0, agents = 0, ssh = 0;
  const times: number[] = [];
  for (const line of stdout.split('\n')) {
    const [kind, a, ...rest] = line.trim().split(' ');
    const n = Number(a);
    switch (kind) {
      case 'now': if (Number.isFinite(n)) podNow = n; break;
      case 'client': clients++; if (n > 0) times.push(n); break;
      case 'window': case 'session': case 'mark': if (n > 0) times.push(n); break;
      case 'pane': {
        const cmd = rest.join(' ');
        if (a === '0' && cmd && !cmd.startsWith('-') && !SHELLS.includes(cmd)) agents++;
        break;
      }
      case 'ssh': if (Number.isInteger(n) && n > 0) ssh = n; break;
      default: break;
    }
  }
  const latest = times.length ? Math.max(...times) : undefined;
  const lastActivity = latest !== undefined && podNow !== undefined ? Math.min(probedAt, probedAt - (podNow - latest) * 1000) : undefined;
  return { probedAt, clients, agents, ssh, ...(lastActivity !== undefined ? { lastActivity } : {}) };
}

export const isBusy = (a: Activity): boolean => a.clients > 0 || a.agents > 0 || a.ssh > 0;

export interface IdleSandbox {
  name: string;
  uid?: string;
  /** Its pod is Ready: it can be used, and probed. */
  running: boolean;
  claim?: { user: string; at?: number };
  /** When its pod started (a just-started environment is not idle). */
  startedAt?: number;
  /** When it was last probed (successfully or not). */
  probedAt?: number;
  /** The last successful probe. */
  activity?: Activity;
}

export interface IdleInput {
  replicas: number;
  sandboxes: IdleSandbox[];
  claimTtlMs?: number;
  idleStopAfterMs?: number;
  now: number;
  /** Probe a claimed sandbox at most this often (default 3 minutes). */
  probeEveryMs?: number;
  /** Act only on probes at most this old; older ones are probed again first (default 15 s). */
  freshMs?: number;
}

export type IdleAction =
  | { kind: 'release'; sandbox: string; uid?: string; user: string; claimedAt?: number; idleForMs: number }
  | { kind: 'stop'; idleForMs: number };

export interface IdleDecision {
  /** Sandboxes to probe before deciding (again). */
  probe: string[];
  actions: IdleAction[];
}

export const DEFAULT_PROBE_EVERY_MS = 3 * 60_000;
export const DEFAULT_FRESH_MS = 15_000;

/** When the sandbox was last active by what we know, or undefined when we do not know. */
function lastActive(s: IdleSandbox): number | undefined {
  if (!s.activity) return undefined;
  if (isBusy(s.activity)) return s.activity.probedAt;
  return Math.max(s.activity.lastActivity ?? 0, s.claim?.at ?? 0);
}

export function decideIdle(i: IdleInput): IdleDecision {
  const fresh = i.freshMs ?? DEFAULT_FRESH_MS;
  // A probe as fresh as acting needs is never due again at once (else nothing could be decided).
  const every = Math.max(i.probeEveryMs ?? DEFAULT_PROBE_EVERY_MS, fresh + 1);
  const probe = new Set<string>();
  const actions: IdleAction[] = [];
  if (i.replicas <= 0 || (i.claimTtlMs === undefined && i.idleStopAfterMs === undefined)) return { probe: [], actions };

  const claimed = i.sandboxes.filter((s) => s.claim && s.running);
  for (const s of claimed) if (s.probedAt === undefined || i.now - s.probedAt >= every) probe.add(s.name);
  const known = (s: IdleSandbox) => !probe.has(s.name) && s.activity !== undefined && i.now - s.activity.probedAt < every;
  // Acting needs a probe taken just now; a stale "idle" is confirmed first.
  const confirm = (s: IdleSandbox) => { if (s.activity && i.now - s.activity.probedAt > fresh) { probe.add(s.name); return false; } return true; };

  const released = new Set<string>();
  if (i.claimTtlMs !== undefined) {
    for (const s of claimed) {
      if (!known(s)) continue;
      const last = lastActive(s)!;
      if (isBusy(s.activity!) || i.now - last < i.claimTtlMs) continue;
      if (!confirm(s)) continue;
      actions.push({ kind: 'release', sandbox: s.name, ...(s.uid ? { uid: s.uid } : {}), user: s.claim!.user, ...(s.claim!.at !== undefined ? { claimedAt: s.claim!.at } : {}), idleForMs: i.now - last });
      released.add(s.name);
    }
  }

  if (i.idleStopAfterMs !== undefined) {
    // Every claimed running sandbox must be known to be idle; a just-started pod counts as activity.
    let last = 0;
    let decidable = true;
    for (const s of claimed) {
      if (!known(s) || isBusy(s.activity!)) { decidable = false; break; }
      last = Math.max(last, lastActive(s)!);
    }
    for (const s of i.sandboxes) if (s.startedAt !== undefined) last = Math.max(last, s.startedAt);
    if (decidable && last > 0 && i.now - last >= i.idleStopAfterMs) {
      const stale = claimed.filter((s) => !released.has(s.name) && !confirm(s));
      if (!stale.length) actions.push({ kind: 'stop', idleForMs: i.now - last });
    }
  }
  // A sandbox to probe again is decided next time, not now.
  return { probe: [...probe], actions: actions.filter((a) => a.kind === 'stop' ? !probe.size : !probe.has(a.sandbox)) };
}

/** Per-sandbox probe results between rounds; the controller keeps one (default: per process). */
export type IdleState = Map<string, { probedAt: number; uid?: string; activity?: Activity }>;
const defaultState: IdleState = new Map();

export interface IdleOptions {
  state?: IdleState;
  /** Seam for tests; default: exec into the sandbox container. */
  exec?: ExecRunner;
  probeEveryMs?: number;
  freshMs?: number;
}

const read = readEnvironmentState;

const time = (v: unknown): number | undefined => {
  const t = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(t) ? t : undefined;
};

/** Releases idle claims and stops idle environments; does nothing unless claim-ttl or idle-stop-after is set. */
export async function reconcileIdle(ctx: ControllerContext, environment: string, opts: IdleOptions = {}): Promise<void> {
  const { cluster } = ctx;
  const state = opts.state ?? defaultState;
  const prefix = `${cluster.context}/${cluster.namespace}/${environment}/`;
  const { sts, pods, pvcs } = await read(ctx, environment);
  if (!sts || sts.metadata?.deletionTimestamp || sts.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) return;
  const policy = readPolicy(sts.metadata?.annotations);
  for (const p of policy.problems) ctx.log(`idle ${environment}: ignoring ${p}`);
  if (policy.claimTtlMs === undefined && policy.idleStopAfterMs === undefined) return;
  const replicas = sts.spec?.replicas ?? 1;
  if (replicas <= 0) return;

  const claims = new Map<number, { user: string; at?: number }>();
  for (const pvc of pvcs) {
    const ord = workspaceOrdinalOf(environment, pvc.metadata?.name ?? '');
    const user = pvc.metadata?.annotations?.[CLAIMED_BY];
    if (ord !== undefined && user) claims.set(ord, { user, at: time(pvc.metadata?.annotations?.[CLAIMED_AT]) });
  }
  const sandboxes: IdleSandbox[] = [];
  for (const pod of pods) {
    const ord = ordinalOf(environment, pod.metadata?.name ?? '');
    if (ord === undefined || ord >= replicas) continue;
    const name = sandboxName(environment, ord);
    const uid = pod.metadata?.uid;
    const seen = state.get(prefix + name);
    // A new pod (restart, recycle) starts with nothing known.
    const mem = seen && seen.uid === uid ? seen : undefined;
    const claim = claims.get(ord);
    sandboxes.push({
      name, uid, running: isPodReady(pod), startedAt: time(pod.status?.startTime),
      ...(claim ? { claim } : {}), ...(mem ? { probedAt: mem.probedAt, activity: mem.activity } : {}),
    });
  }

  const exec = opts.exec ?? execRunner(cluster, sts.spec?.template?.spec?.containers?.find((c) => c.name === SANDBOX_CONTAINER)?.name ?? SANDBOX_CONTAINER);
  const input = (): IdleInput => ({
    replicas, sandboxes, claimTtlMs: policy.claimTtlMs, idleStopAfterMs: policy.idleStopAfterMs,
    now: ctx.now().getTime(), probeEveryMs: opts.probeEveryMs, freshMs: opts.freshMs,
  });
  let decision = decideIdle(input());
  for (let round = 0; round < 2 && decision.probe.length; round++) {
    await Promise.all(decision.probe.map(async (name) => {
      const s = sandboxes.find((x) => x.name === name)!;
      s.probedAt = ctx.now().getTime();
      try {
        const r = await exec(name, ['sh', '-c', ACTIVITY_SCRIPT], { signal: ctx.signal, timeoutMs: 20_000 });
        if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr.trim().slice(0, 200)}`);
        s.activity = parseActivity(r.stdout, ctx.now().getTime());
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        // Unknown is never idle: nothing is taken on a failed probe.
        s.activity = undefined;
        ctx.log(`idle ${environment}: could not read the activity of ${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
      state.set(prefix + name, { probedAt: s.probedAt, uid: s.uid, ...(s.activity ? { activity: s.activity } : {}) });
    }));
    decision = decideIdle(input());
  }
  // Forget sandboxes that are gone.
  for (const k of [...state.keys()]) if (k.startsWith(prefix) && !sandboxes.some((s) => prefix + s.name === k)) state.delete(k);

  for (const a of decision.actions) {
    if (ctx.signal.aborted) return;
    if (a.kind === 'release') {
      const ttl = formatDuration(policy.claimTtlMs!);
      const done = await releaseIdleClaim(ctx, a.sandbox, a.user, a.claimedAt, opts.exec);
      if (!done) continue;
      ctx.log(`idle ${environment}: released ${a.sandbox} from ${a.user} after ${formatDuration(a.idleForMs)} without activity (claim TTL ${ttl})`);
      await ctx.event({ name: a.sandbox, ...(a.uid ? { uid: a.uid } : {}) }, 'ClaimExpired',
        `Claim of ${a.user} released after ${formatDuration(a.idleForMs)} without activity (claim TTL ${ttl}); the workspace is kept, every SSH key was removed.`);
    } else {
      const after = formatDuration(policy.idleStopAfterMs!);
      await stopEnvironment(cluster, environment, { signal: ctx.signal });
      ctx.log(`idle ${environment}: stopped after ${formatDuration(a.idleForMs)} without activity (idle stop after ${after}); ${replicas} sandboxes come back with terrarium env start ${environment}`);
      for (const s of sandboxes) {
        await ctx.event({ name: s.name, ...(s.uid ? { uid: s.uid } : {}) }, 'IdleStopped',
          `Environment ${environment} stopped after ${formatDuration(a.idleForMs)} without activity (idle stop after ${after}); workspaces are kept. Start it again with: terrarium env start ${environment}`);
      }
    }
  }
}
