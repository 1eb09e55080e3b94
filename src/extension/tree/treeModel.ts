/**
 * What each tree row shows, as plain data: label, description, tooltip, icon and contextValue.
 * No vscode import, so rows are unit tested in plain Node; treeProvider.ts turns them into
 * TreeItems. contextValue is "terrarium:<kind>;<tag>;<tag>;" and package.json `when` clauses
 * match tags with regexes (e.g. /^terrarium:sandbox;.*\bready\b/).
 */
import type { Environment, Sandbox } from '../../core/devenv';
import type { AgentSession } from '../../core/tmux/sessions';

export type NodeKind = 'cluster' | 'namespace' | 'environment' | 'sandbox' | 'session' | 'message';

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

export function environmentNode(context: string, env: Environment, claimedByMe = 0): NodeView {
  const icon: IconView =
    env.status === 'Ready' ? { id: 'server-environment', color: GREEN }
      : env.status === 'Stopped' ? { id: 'debug-stop', color: GREY }
        : env.status === 'Degraded' ? { id: 'warning', color: YELLOW }
          : { id: 'loading~spin' };
  const running = env.desired > 0;
  return {
    id: `env/${context}/${env.namespace}/${env.name}`,
    kind: 'environment',
    label: env.name,
    description: env.status === 'Stopped' ? 'stopped' : `${env.ready}/${env.desired} ready${claimedByMe ? ` · ${claimedByMe} yours` : ''}`,
    tooltip: [
      `**Environment** ${md(env.name)} — ${env.status}`,
      `Sandboxes: ${env.ready} ready of ${env.desired}`,
      `Image: \`${env.image.replace(/`/g, '')}\``,
    ].join('\n\n'),
    icon,
    contextValue: contextValue('environment', [running ? 'running' : 'stopped', env.status.toLowerCase()]),
    collapsible: 'expanded',
  };
}

export function sandboxNode(context: string, namespace: string, s: Sandbox, me?: string): NodeView {
  const phase = s.status.phase;
  const icon: IconView =
    phase === 'Ready' ? { id: 'vm-running', color: GREEN }
      : phase === 'Starting' || phase === 'Terminating' ? { id: 'loading~spin' }
        : phase === 'Stopped' ? { id: 'vm-outline', color: GREY }
          : phase === 'Pending' ? { id: 'warning', color: YELLOW }
            : { id: 'error', color: RED };
  const mine = !!me && s.claimedBy === me;
  const why = s.status.reason ? `${phase}: ${s.status.reason}` : phase;
  const desc = [phase === 'Ready' ? undefined : why, s.claimedBy ? (mine ? 'yours' : `claimed by ${s.claimedBy}`) : undefined]
    .filter(Boolean).join(' · ');
  return {
    id: `sbx/${context}/${namespace}/${s.name}`,
    kind: 'sandbox',
    label: s.name,
    description: desc || 'ready · free',
    tooltip: [
      `**Sandbox** ${md(s.name)} — ${md(why)}`,
      s.status.message ? md(s.status.message) : '',
      `Workspace: ${md(s.pvc)}${s.pvcPhase && s.pvcPhase !== 'Bound' ? ` (${md(s.pvcPhase)})` : ''}`,
      s.claimedBy ? `Claimed by ${md(s.claimedBy)}` : 'Not claimed',
      s.restarts ? `Restarts: ${s.restarts}` : '',
    ].filter(Boolean).join('\n\n'),
    icon,
    contextValue: contextValue('sandbox', [phase.toLowerCase(), s.claimedBy ? 'claimed' : 'unclaimed', mine && 'mine']),
    collapsible: phase === 'Ready' ? 'collapsed' : 'none',
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
