/**
 * Shows what the user should know about the kubeconfig context in use, once per context per
 * session (ClusterSession decides when): insecure TLS as a warning with "Open kubeconfig", the
 * exec plugin a context runs in the log. The wording and the decision live in the core.
 */
import * as vscode from 'vscode';
import type { ClusterSession } from './clusterSession';
import type { Log } from './log';

const OPEN = 'Open kubeconfig';

export function registerKubeconfigNotices(session: ClusterSession, log: Log): vscode.Disposable[] {
  const off = session.onNotice((n) => {
    if (n.kind === 'exec-plugin') { log.info(n.message); return; }
    log.warn(n.message);
    const file = n.file;
    void vscode.window.showWarningMessage(n.message, ...(file ? [OPEN] : [])).then(async (choice) => {
      if (choice !== OPEN || !file) return;
      try {
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(file)));
      } catch (e) {
        log.warn(`Could not open ${file}: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  });
  return [{ dispose: off }];
}
