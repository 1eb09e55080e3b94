/**
 * Job sandboxes in the Clusters tree: a "Job Sandboxes" row under the namespace, and one row per Job
 * (running, succeeded, failed with its reason), with "Show Job Logs" and "Delete Job" on it. Plain
 * data like treeModel.ts (no vscode import: unit tested in Node). The list is read when the row is
 * expanded and kept for a few seconds (tree repaints follow every environment watch change); while a
 * Job is pending or running, the tree is asked to look again shortly.
 */
import type { JobState } from '../../core/jobs/state';
import { terminalSafe } from '../../core/text/terminalSafe';
import { contextValue, md, messageNode, type NodeView } from './treeModel';

export type JobTreeNode =
  | { view: NodeView; kind: 'jobs'; context: string; namespace: string }
  | { view: NodeView; kind: 'job'; context: string; namespace: string; job: JobState };

const RED = 'charts.red', GREEN = 'charts.green', YELLOW = 'charts.yellow';

/** The row under the namespace that holds the Jobs. */
export function jobsGroupRow(context: string, namespace: string): JobTreeNode {
  return {
    kind: 'jobs', context, namespace,
    view: {
      id: `jobs/${context}/${namespace}`, kind: 'jobs', label: 'Job Sandboxes',
      tooltip: 'Disposable Job sandboxes in this namespace (`terrarium job run`, `job start`, the agent API).',
      icon: { id: 'run-all' }, contextValue: contextValue('jobs'), collapsible: 'collapsed',
    },
  };
}

/** One Job's row: its state in the description, the reason and hint in the tooltip (cluster text escaped). */
export function jobNode(parentId: string, s: JobState, me?: string): NodeView {
  const reason = terminalSafe(s.reason ?? '');
  const [description, icon] =
    s.phase === 'running' ? [s.mode === 'start' ? 'running (waiting for exec)' : 'running', { id: 'sync~spin', color: GREEN }]
      : s.phase === 'succeeded' ? ['succeeded', { id: 'pass', color: GREEN }]
        : s.phase === 'failed' ? [`failed: ${reason}${s.reason === 'Error' && s.exitCode !== undefined ? ` (exit ${s.exitCode})` : ''}`, { id: 'error', color: RED }]
          : [`pending: ${reason}`, { id: 'clock', color: s.reason === 'ImagePullFailed' ? RED : YELLOW }];
  const mine = !!me && s.createdBy === me;
  return {
    id: `${parentId}/${s.name}`,
    kind: 'job',
    label: s.name,
    description: mine ? description : `${description} · ${terminalSafe(s.createdBy ?? 'someone else')}`,
    tooltip: [
      `**Job sandbox** ${md(s.name)}`,
      s.image ? `Image: ${md(s.image)}` : '',
      s.createdBy ? `Created by ${md(s.createdBy)}` : '',
      s.pod ? `Pod: ${md(s.pod)}` : '',
      s.message ? md(s.message) : '',
      s.hint ? `_${md(s.hint)}_` : '',
    ].filter(Boolean).join('\n\n'),
    icon,
    contextValue: contextValue('job', [s.phase, s.pod && 'has-pod', mine && 'mine']),
    collapsible: 'none',
  };
}

export interface JobRowsSource {
  /** The namespace's Jobs (core listJobs with all: true). */
  list(): Promise<JobState[]>;
  me?: string;
  /** Asks the tree to repaint (Jobs still changing). */
  refresh(): void;
}

type Row = JobTreeNode | { kind: 'message'; view: NodeView };

const CACHE_MS = 2000;
const RECHECK_MS = 3000;
const cache = new Map<string, { at: number; jobs: Promise<JobState[]> }>();
let recheck: NodeJS.Timeout | undefined;

/** Forgets the cached lists (after Delete Job, or a refresh the user asked for). */
export function forgetJobRows(): void { cache.clear(); }

/** The rows under "Job Sandboxes". */
export async function jobRows(parent: Extract<JobTreeNode, { kind: 'jobs' }>, src: JobRowsSource, now = Date.now()): Promise<Row[]> {
  const key = parent.view.id;
  let hit = cache.get(key);
  if (!hit || now - hit.at > CACHE_MS) {
    hit = { at: now, jobs: src.list() };
    cache.set(key, hit);
    hit.jobs.catch(() => cache.delete(key));
  }
  const jobs = await hit.jobs;
  if (jobs.some((j) => j.phase === 'pending' || j.phase === 'running') && !recheck) {
    recheck = setTimeout(() => { recheck = undefined; cache.delete(key); src.refresh(); }, RECHECK_MS);
    recheck.unref?.();
  }
  if (!jobs.length) return [{ kind: 'message', view: messageNode(key, 'No Job sandboxes (terrarium job run --image IMAGE -- COMMAND)', 'info') }];
  return jobs.map((job) => ({ kind: 'job' as const, context: parent.context, namespace: parent.namespace, job, view: jobNode(key, job, src.me) }));
}
