/**
 * How an environment's sandboxes are laid out in the tree when there are many: a filter (mine,
 * free, not ready) and, past a few hundred rows, groups of GROUP_SIZE by ordinal (VS Code renders
 * a flat list of thousands of rows poorly, and nobody scrolls through it). The person's own
 * sandboxes stay at the top, outside the groups. No vscode import: unit tested in plain Node.
 */
import type { Sandbox } from '../../core/devenv';
import { contextValue, md, ownerOf, sortSandboxes, type NodeView } from './treeModel';

export type SandboxFilter = 'all' | 'mine' | 'free' | 'notReady';

export const SANDBOX_FILTERS: readonly SandboxFilter[] = ['all', 'mine', 'free', 'notReady'];

/** The words for each filter: the quick pick's label and detail, and the view's description. */
export const FILTER_TEXT: Record<SandboxFilter, { label: string; detail: string; view?: string; none: string }> = {
  all: { label: 'All sandboxes', detail: 'Every sandbox of each environment', none: 'No sandboxes' },
  mine: { label: 'Mine', detail: 'Sandboxes claimed by you', view: 'showing: mine', none: 'None of these sandboxes is yours' },
  free: { label: 'Free', detail: 'Sandboxes nobody has claimed', view: 'showing: free', none: 'No free sandboxes' },
  notReady: { label: 'Not ready', detail: 'Sandboxes starting, pending, failing or stopped', view: 'showing: not ready', none: 'Every sandbox is ready' },
};

export function isSandboxFilter(v: unknown): v is SandboxFilter {
  return typeof v === 'string' && (SANDBOX_FILTERS as readonly string[]).includes(v);
}

export function matchesFilter(s: Pick<Sandbox, 'claimedBy' | 'status'>, filter: SandboxFilter, me?: string): boolean {
  switch (filter) {
    case 'all': return true;
    case 'mine': return ownerOf(s, me) === 'yours';
    case 'free': return !s.claimedBy;
    case 'notReady': return s.status.phase !== 'Ready';
    default: { const never: never = filter; return never; }
  }
}

/** Past this many (filtered) sandboxes an environment shows groups instead of rows. */
export const FLAT_LIMIT = 200;
/** Sandboxes per group. */
export const GROUP_SIZE = 100;

/** Ordinals index*size … index*size+size-1 (the last one up to `last`); `items` what the filter kept of them. */
export interface SandboxGroup<T> { index: number; first: number; last: number; items: T[] }

export interface SandboxLayout<T> {
  /** Rows shown directly under the environment: all of them up to FLAT_LIMIT, else the person's own. */
  rows: T[];
  /** Groups by ordinal range, GROUP_SIZE ordinals each, only those with a sandbox (none up to FLAT_LIMIT). */
  groups: SandboxGroup<T>[];
  /** How many sandboxes the filter kept. */
  shown: number;
}

/**
 * The rows and groups under an environment. Up to `flatLimit` sandboxes: one row each, yours first,
 * then free, then others' (sortSandboxes). Beyond: yours as rows (when they fit in one group), the
 * rest in groups by ordinal range (0-99, 100-199, ...), so a group's range, id and open state stay
 * put as sandboxes are claimed, released or filtered.
 */
export function layoutSandboxes<T extends Pick<Sandbox, 'claimedBy' | 'ordinal' | 'status'>>(
  list: readonly T[], me: string | undefined, filter: SandboxFilter = 'all',
  opts: { flatLimit?: number; groupSize?: number } = {},
): SandboxLayout<T> {
  const flatLimit = opts.flatLimit ?? FLAT_LIMIT, groupSize = opts.groupSize ?? GROUP_SIZE;
  const kept = list.filter((s) => matchesFilter(s, filter, me));
  if (kept.length <= flatLimit) return { rows: sortSandboxes(kept, me), groups: [], shown: kept.length };
  const byOrdinal = [...kept].sort((a, b) => a.ordinal - b.ordinal);
  const yours = byOrdinal.filter((s) => ownerOf(s, me) === 'yours');
  const direct = yours.length <= groupSize && filter !== 'mine' ? yours : [];
  const rest = direct.length ? byOrdinal.filter((s) => ownerOf(s, me) !== 'yours') : byOrdinal;
  const maxOrdinal = byOrdinal[byOrdinal.length - 1]!.ordinal;
  const groups: SandboxGroup<T>[] = [];
  for (const s of rest) {
    const index = Math.floor(s.ordinal / groupSize);
    let g = groups[groups.length - 1];
    if (g?.index !== index) {
      g = { index, first: index * groupSize, last: Math.min(index * groupSize + groupSize - 1, maxOrdinal), items: [] };
      groups.push(g);
    }
    g.items.push(s);
  }
  return { rows: direct, groups, shown: kept.length };
}

/** Counts a group row shows. */
export function groupCounts(items: readonly Pick<Sandbox, 'claimedBy' | 'status'>[], me?: string): { ready: number; free: number; yours: number } {
  let ready = 0, free = 0, yours = 0;
  for (const s of items) {
    if (s.status.phase === 'Ready') ready++;
    if (!s.claimedBy) free++;
    else if (ownerOf(s, me) === 'yours') yours++;
  }
  return { ready, free, yours };
}

/** A group row: "team-100 … team-199", with how many of them the filter shows, are ready and are free. */
export function groupNode(envId: string, environment: string, group: SandboxGroup<Pick<Sandbox, 'claimedBy' | 'ordinal' | 'status' | 'name'>>, me?: string): NodeView {
  const { ready, free } = groupCounts(group.items, me);
  const n = group.items.length;
  return {
    id: `${envId}/group/${group.index}`,
    kind: 'group',
    label: `${environment}-${group.first} … ${environment}-${group.last}`,
    description: [`${n} sandbox${n === 1 ? '' : 'es'}`, `${ready} ready`, `${free} free`].join(' · '),
    tooltip: `${n} sandboxes of ${md(environment)}, ordinals ${group.first} to ${group.last}`,
    icon: { id: 'list-unordered' },
    contextValue: contextValue('group'),
    collapsible: 'collapsed',
  };
}

/** The environment row under a filter also says how many of its sandboxes the filter shows. */
export function withFilterNote(v: NodeView, filter: SandboxFilter, shown: number): NodeView {
  if (filter === 'all') return v;
  const note = `${shown} ${FILTER_TEXT[filter].label.toLowerCase()} shown`;
  return { ...v, description: v.description ? `${v.description} · ${note}` : note };
}

/** The row an environment shows when the filter keeps none of its sandboxes. */
export function messageNodeFor(envId: string, text: string): NodeView {
  return { id: `${envId}/filtered`, kind: 'message', label: text, icon: { id: 'filter' }, contextValue: contextValue('message', ['filtered']), collapsible: 'none' };
}
