/**
 * What each tree row shows, as plain data: label, description, tooltip, icon and contextValue.
 * No vscode import, so rows are unit tested in plain Node; treeProvider.ts turns them into
 * TreeItems. contextValue is "terrarium:<kind>;<tag>;<tag>;" and package.json `when` clauses
 * match tags with regexes (e.g. /^terrarium:sandbox;.*\bready\b/).
 */
import type { Environment, Sandbox } from '../../core/devenv';
import type { TerrariumPermissions } from '../../core/kube/permissions';
import type { AgentSession } from '../../core/tmux/sessions';
import { terminalSafe } from '../../core/text/terminalSafe';

export type NodeKind = 'cluster' | 'namespace' | 'environment' | 'group' | 'sandbox' | 'session' | 'message' | 'jobs' | 'job';

export interface IconView { id: string; color?: string }

export interface NodeView {
  id: string;
  kind: NodeKind;
  label: string;
  description?: string;
  /** Markdown; strings from the cluster are escaped. */
  tooltip?: string;
  icon: IconView;
  contextValue: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
}

export function contextValue(kind: NodeKind, tags: (string | false | undefined)[] = []): string {
  return `terrarium:${kind};${tags.filter(Boolean).join(';')}${tags.some(Boolean) ? ';' : ''}`;
}

/** Escapes Markdown so names and messages from the cluster render as text, never as links or HTML. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~]/g, (c) => `\\${c}`);
}

const RED = 'charts.red', GREEN = 'charts.green', YELLOW = 'charts.yellow', GREY = 'disabledForeground';

export interface ClusterInfo { context: string; server?: string; current: boolean; error?: string }

export function clusterNode(c: ClusterInfo): NodeView {
  return {
    id: `cluster/${c.context}`,
    kind: 'cluster',
    label: c.context,
    description: c.current ? (c.error ? 'unreachable' : 'current') : undefined,
    tooltip: [`**Cluster** ${md(c.context)}`, c.server ? `Server: ${md(c.server)}` : '', c.error ? `$(error) ${md(c.error)}` : '']
      .filter(Boolean).join('\n\n'),
    icon: c.error ? { id: 'cloud', color: RED } : { id: 'cloud', color: c.current ? GREEN : undefined },
    contextValue: contextValue('cluster', [c.current && 'current', c.error ? 'unreachable' : 'reachable']),
    collapsible: c.current ? 'expanded' : 'collapsed',
  };
}

/**
 * A row of a context other than the current one: shown, but without the action tags package.json's
 * `when` clauses match (`terrarium:elsewhere-<kind>;`), because commands act on the current
 * context; nothing below it expands into exec (agent sessions).
 */
export function elsewhere(v: NodeView): NodeView {
  return {
    ...v,
    contextValue: `terrarium:elsewhere-${v.kind};`,
    tooltip: [v.tooltip, '_Another context: switch to it to act on this._'].filter(Boolean).join('\n\n'),
    collapsible: v.kind === 'sandbox' || v.kind === 'session' ? 'none' : v.collapsible,
  };
}

export function namespaceNode(context: string, namespace: string, opts: { missing?: boolean; active?: boolean } = {}): NodeView {
  return {
    id: `ns/${context}/${namespace}`,
    kind: 'namespace',
    label: namespace,
    description: opts.missing ? 'does not exist yet' : undefined,
    tooltip: `**Namespace** ${md(namespace)} in ${md(context)}`,
    icon: { id: 'symbol-namespace', color: opts.missing ? GREY : undefined },
    contextValue: contextValue('namespace', [opts.missing && 'missing', opts.active && 'active']),
    collapsible: 'expanded',
  };
}

/**
 * Cluster text for a label or description: one line, control and bidi characters shown as escapes
 * (a user name is whatever the API server authenticated: `oidc:https://x#y`, or worse), cut to `max`.
 */
export function plainText(text: string, max = 48): string {
  const safe = terminalSafe(text);
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

/** Whose a sandbox is, from the person's point of view. */
export type Owner = 'yours' | 'free' | 'others';

export function ownerOf(s: Pick<Sandbox, 'claimedBy'>, me?: string): Owner {
  if (!s.claimedBy) return 'free';
  return me !== undefined && s.claimedBy === me ? 'yours' : 'others';
}

/** "yours" first, then free, then others'; by ordinal within each. */
export function sortSandboxes<T extends Pick<Sandbox, 'claimedBy' | 'ordinal'>>(list: readonly T[], me?: string): T[] {
  const rank: Record<Owner, number> = { yours: 0, free: 1, others: 2 };
  return [...list].sort((a, b) => rank[ownerOf(a, me)] - rank[ownerOf(b, me)] || a.ordinal - b.ordinal);
}

/** The warm-spare target (annotation terrarium.dev/warm-spares), once the read model carries it. */
// TODO(wave3): read env.warmSpares from src/core/devenv/types.ts when the warm-pool engineer's field lands.
export function warmSparesTarget(env: Environment): number | undefined {
  const v = (env as Environment & { warmSpares?: unknown }).warmSpares;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** Counts an environment row shows: claimed (and how many are yours), and ready unclaimed spares. */
export function environmentCounts(sandboxes: readonly Sandbox[], me?: string): { claimed: number; yours: number; spares: number } {
  const live = sandboxes.filter((s) => s.status.phase !== 'Stopped');
  return {
    claimed: live.filter((s) => s.claimedBy).length,
    yours: live.filter((s) => ownerOf(s, me) === 'yours').length,
    spares: live.filter((s) => s.status.phase === 'Ready' && !s.claimedBy).length,
  };
}

export function environmentNode(context: string, env: Environment, sandboxes: readonly Sandbox[] = [], me?: string, perms?: TerrariumPermissions): NodeView {
  const icon: IconView =
    env.status === 'Ready' ? { id: 'server-environment', color: GREEN }
      : env.status === 'Stopped' ? { id: 'debug-stop', color: GREY }
        : env.status === 'Degraded' ? { id: 'warning', color: YELLOW }
          : { id: 'loading~spin' };
  const running = env.desired > 0;
  const { claimed, yours, spares } = environmentCounts(sandboxes, me);
  const target = warmSparesTarget(env);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const sparesText = target !== undefined ? `${spares} of ${plural(target, 'warm spare')}` : plural(spares, 'warm spare');
  const description = env.status === 'Stopped' ? 'stopped'
    : [`${env.ready}/${env.desired} ready`, `${claimed} claimed${yours ? ` (${yours} yours)` : ''}`, sparesText].join(' · ');
  return {
    id: `env/${context}/${env.namespace}/${env.name}`,
    kind: 'environment',
    label: env.name,
    description,
    tooltip: [
      `**Environment** ${md(env.name)} — ${env.status}`,
      `Sandboxes: ${env.ready} ready of ${env.desired}; ${claimed} claimed${yours ? `, ${yours} by you` : ''}`,
      `Warm spares (ready, unclaimed): ${spares}${target !== undefined ? ` — kept at ${target}` : ''}`,
      `Image: \`${env.image.replace(/`/g, '')}\``,
    ].join('\n\n'),
    icon,
    contextValue: contextValue('environment', [
      running ? 'running' : 'stopped', env.status.toLowerCase(),
      (perms?.scale ?? true) && 'can-scale', (perms?.deleteEnvironment ?? true) && 'can-delete',
    ]),
    collapsible: 'expanded',
  };
}

/**
 * A sandbox row: whose it is ("yours", "free", "claimed by bob"), and only the actions the person
 * may take as contextValue tags (package.json `when` clauses match them): `reach` (exec and
 * port-forward: connect, terminal, sessions, forwards), `can-claim`, `can-release`, `can-restart`.
 * Without permissions (not read yet) every action is offered and the API server decides.
 */
export function sandboxNode(context: string, namespace: string, s: Sandbox, me?: string, perms?: TerrariumPermissions): NodeView {
  const phase = s.status.phase;
  const icon: IconView =
    phase === 'Ready' ? { id: 'vm-running', color: GREEN }
      : phase === 'Starting' || phase === 'Terminating' ? { id: 'loading~spin' }
        : phase === 'Stopped' ? { id: 'vm-outline', color: GREY }
          : phase === 'Pending' ? { id: 'warning', color: YELLOW }
            : { id: 'error', color: RED };
  const owner = ownerOf(s, me);
  const why = s.status.reason ? `${phase}: ${s.status.reason}` : phase;
  const whose = owner === 'yours' ? 'yours' : owner === 'free' ? 'free' : `claimed by ${plainText(s.claimedBy!)}`;
  const reach = !perms || perms.reach === 'all' || perms.reach.includes(s.name);
  const mayClaim = owner === 'free' && (perms?.claim ?? true);
  const mayRelease = owner === 'yours' ? (perms?.release ?? true) : owner === 'others' && (perms?.forceRelease ?? true);
  return {
    id: `sbx/${context}/${namespace}/${s.name}`,
    kind: 'sandbox',
    label: s.name,
    description: [phase === 'Ready' ? 'ready' : plainText(why, 64), whose].join(' · '),
    tooltip: [
      `**Sandbox** ${md(s.name)} — ${md(why)}`,
      s.status.message ? md(s.status.message) : '',
      `Workspace: ${md(s.pvc)}${s.pvcPhase && s.pvcPhase !== 'Bound' ? ` (${md(s.pvcPhase)})` : ''}`,
      owner === 'yours' ? 'Claimed by you' : s.claimedBy ? `Claimed by ${md(terminalSafe(s.claimedBy))}` : 'Not claimed',
      !reach ? 'You cannot open a terminal or connect: only its holder can.' : '',
      s.restarts ? `Restarts: ${s.restarts}` : '',
    ].filter(Boolean).join('\n\n'),
    icon,
    contextValue: contextValue('sandbox', [
      phase.toLowerCase(), s.claimedBy ? 'claimed' : 'unclaimed', owner === 'yours' && 'mine', owner === 'others' && 'others',
      reach && 'reach', mayClaim && 'can-claim', mayRelease && 'can-release', (perms?.restart ?? true) && 'can-restart',
    ]),
    // Agent sessions are listed over exec: only where the person may exec.
    collapsible: phase === 'Ready' && reach ? 'collapsed' : 'none',
  };
}

/** The one-line notice shown when no claim policy is installed (non-clickable). */
export function advisoryNode(parentId: string, detail?: string): NodeView {
  return {
    id: `${parentId}/advisory`,
    kind: 'message',
    label: 'Claims are advisory here',
    description: 'no claim policy installed',
    tooltip: [detail ? md(detail) : '', 'Without the claim policy the API server does not stop anyone from taking or releasing '
      + 'a claim that is not theirs. An administrator installs it with `terrarium platform install`.'].filter(Boolean).join('\n\n'),
    icon: { id: 'shield', color: YELLOW },
    contextValue: contextValue('message', ['advisory']),
    collapsible: 'none',
  };
}

export function sessionNode(sandboxId: string, session: AgentSession, now = Date.now()): NodeView {
  const idle = Math.max(0, Math.round((now - session.lastActivity.getTime()) / 1000));
  const idleText = idle < 60 ? `${idle}s` : idle < 3600 ? `${Math.round(idle / 60)}m` : `${Math.round(idle / 3600)}h`;
  return {
    id: `${sandboxId}/session/${session.name}`,
    kind: 'session',
    label: session.name,
    description: [session.command, session.attached ? `${session.attached} attached` : 'detached', `idle ${idleText}`].filter(Boolean).join(' · '),
    tooltip: `**Agent session** ${md(session.name)}\n\nWindows: ${session.windows}\n\nCreated: ${session.created.toISOString()}\n\nLast activity: ${session.lastActivity.toISOString()}`,
    icon: { id: session.attached ? 'terminal' : 'terminal-tmux', color: session.attached ? GREEN : undefined },
    contextValue: contextValue('session', [session.attached ? 'attached' : 'detached']),
    collapsible: 'none',
  };
}

export function messageNode(parentId: string, text: string, kind: 'error' | 'info' | 'loading' = 'info'): NodeView {
  return {
    id: `${parentId}/message`,
    kind: 'message',
    label: text,
    icon: kind === 'error' ? { id: 'error', color: RED } : kind === 'loading' ? { id: 'loading~spin' } : { id: 'info' },
    contextValue: contextValue('message', [kind]),
    collapsible: 'none',
  };
}
