import * as vscode from 'vscode';
import { Writable } from 'node:stream';
import { loadCore } from '../core';
import { COMMANDS } from '../commandIds';
import type { Services } from '../services';
import type { TreeNode } from '../tree/treeProvider';
import { forgetJobRows } from '../tree/jobNodes';
import { guarded } from '../ui';
import { terminalSafe } from '../../core/text/terminalSafe';

/** The Job a command acts on: the tree row it was run on, or one picked from the namespace's Jobs. */
async function pickJob(s: Services, node?: TreeNode): Promise<{ name: string; pod?: string } | undefined> {
  if (node?.kind === 'job') return { name: node.job.name, pod: node.job.pod };
  const cluster = await s.session.cluster();
  const jobs = await loadCore().jobs.listJobs(cluster, { all: true });
  if (!jobs.length) { void vscode.window.showInformationMessage(`No Job sandboxes in namespace ${cluster.namespace}.`); return undefined; }
  const pick = await vscode.window.showQuickPick(jobs.map((j) => ({ label: j.name, description: `${j.phase}${j.reason ? `: ${terminalSafe(j.reason)}` : ''}`, job: j })), { placeHolder: 'Job sandbox' });
  return pick ? { name: pick.job.name, pod: pick.job.pod } : undefined;
}

/** Show Job Logs and Delete Job, on the Job rows of the Clusters tree (tree/jobNodes.ts). */
export function registerJobCommands(s: Services): vscode.Disposable[] {
  const { log } = s;
  return [
    vscode.commands.registerCommand(COMMANDS.showJobLogs, (node?: TreeNode) => guarded(log, 'Show Job logs', async () => {
      const job = await pickJob(s, node);
      if (!job) return;
      const cluster = await s.session.cluster();
      const core = loadCore();
      const state = await core.jobs.getJobState(cluster, job.name);
      let text = '';
      if (state.pod && state.reason !== 'ImagePullFailed' && !(state.phase === 'pending')) {
        const sink = new Writable({ write(c: Buffer, _e, cb) { if (text.length < 4 * 1024 * 1024) text += c.toString('utf8'); cb(); } });
        await core.jobLogs.followPodLog(cluster, state.pod, 'job', sink, undefined, { follow: false });
      }
      // Pod output is the cluster's text: shown without control sequences.
      const head = state.message ? `# ${state.message}${state.hint ? ` ${state.hint}` : ''}\n\n` : '';
      const doc = await vscode.workspace.openTextDocument({ content: terminalSafe(head + (text || `(Job ${job.name} has written no output yet: ${state.reason ?? state.phase})`), { multiline: true }), language: 'log' });
      await vscode.window.showTextDocument(doc, { preview: true });
    })),

    vscode.commands.registerCommand(COMMANDS.deleteJob, (node?: TreeNode) => guarded(log, 'Delete Job', async () => {
      const job = await pickJob(s, node);
      if (!job) return;
      const ok = await vscode.window.showWarningMessage(`Delete Job sandbox ${job.name}?`, { modal: true, detail: 'Its pod stops and its output is gone.' }, 'Delete');
      if (ok !== 'Delete') return;
      const gone = await loadCore().jobs.deleteJob(await s.session.cluster(), job.name);
      forgetJobRows();
      s.tree.refresh();
      if (!gone) void vscode.window.showInformationMessage(`Job sandbox ${job.name} was already gone.`);
    })),
  ];
}
