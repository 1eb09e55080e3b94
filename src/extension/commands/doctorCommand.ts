/**
 * "Terrarium: Run Doctor": the CLI's doctor (same core function) in a read-only Markdown editor, with
 * a button for each fix that has one (Install Platform…, Open kubeconfig, Install Remote - SSH).
 */
import * as vscode from 'vscode';
import { loadCore } from '../core';
import { COMMANDS } from '../commandIds';
import { ACTION_TITLES, doctorActions, doctorMarkdown } from '../doctorReport';
import type { Services } from '../services';
import { guarded, withProgress } from '../ui';
import { isTerrariumError, type TerrariumError } from '../../core/kube/errors';
import type { DoctorAction, DoctorReport } from '../../core/platform/doctor';

export const DOCTOR_SCHEME = 'terrarium-doctor';
const REMOTE_SSH = 'ms-vscode-remote.remote-ssh';

/** Documents under terrarium-doctor: are read-only (a content provider owns them). */
class DoctorDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  set(uri: vscode.Uri, text: string): void { this.texts.set(uri.toString(), text); this.changed.fire(uri); }
  provideTextDocumentContent(uri: vscode.Uri): string { return this.texts.get(uri.toString()) ?? ''; }
}

export function registerDoctorCommand(s: Services): vscode.Disposable[] {
  const docs = new DoctorDocuments();
  const runAction = async (action: DoctorAction, report: DoctorReport) => {
    switch (action) {
      case 'installPlatform': await vscode.commands.executeCommand(COMMANDS.installPlatform); return;
      case 'openKubeconfig':
        if (report.kubeconfig) await vscode.window.showTextDocument(vscode.Uri.file(report.kubeconfig));
        else await vscode.commands.executeCommand('workbench.action.openSettings', 'terrarium.kubeconfig');
        return;
      case 'installRemoteSsh': await vscode.commands.executeCommand('workbench.extensions.installExtension', REMOTE_SSH); return;
      default: { const never: never = action; throw new Error(`unknown doctor action ${String(never)}`); }
    }
  };

  return [
    vscode.workspace.registerTextDocumentContentProvider(DOCTOR_SCHEME, docs),
    vscode.commands.registerCommand(COMMANDS.runDoctor, () => guarded(s.log, 'Run Doctor', async () => {
      const { runDoctor, doctorWithoutCluster } = loadCore().platformAdmin;
      const local = { env: process.env, remoteSsh: !!vscode.extensions.getExtension(REMOTE_SSH) };
      const report = await withProgress('Terrarium: checking the cluster and this machine', async (signal) => {
        let cluster;
        try { cluster = await s.session.cluster(); } catch (e) {
          if (isTerrariumError(e) && e.code !== 'Cancelled') return doctorWithoutCluster(e as TerrariumError, { signal, local });
          throw e;
        }
        return runDoctor(cluster, { signal, local });
      });
      s.log.info(`Doctor: ${report.checks.filter((c) => c.status === 'fail').length} failed, ${report.checks.filter((c) => c.status === 'warn').length} warnings (context ${report.context || 'none'})`);
      const uri = vscode.Uri.from({ scheme: DOCTOR_SCHEME, path: '/Terrarium Doctor.md' });
      docs.set(uri, doctorMarkdown(report));
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
      await vscode.window.showTextDocument(doc, { preview: false });
      const actions = doctorActions(report);
      const failed = report.checks.filter((c) => c.status === 'fail').length;
      const summary = failed ? `Terrarium Doctor: ${failed} ${failed === 1 ? 'problem blocks' : 'problems block'} using Terrarium here.` : 'Terrarium Doctor: nothing blocks using Terrarium here.';
      const show = failed ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      const pick = await show(summary, ...actions.map((a) => ACTION_TITLES[a]));
      const chosen = actions.find((a) => ACTION_TITLES[a] === pick);
      if (chosen) await runAction(chosen, report);
    })),
  ];
}
