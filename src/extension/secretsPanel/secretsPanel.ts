import * as vscode from 'vscode';
import type { SecretsPanelController } from '../../core/secrets/panelController';
import type { Cluster } from '../../core/kube/cluster';
import { isTerrariumError } from '../../core/kube/errors';
import { parseWebviewMessage, type PanelIdentity } from '../../shared/protocol';
import { loadCore } from '../core';
import type { Services } from '../services';
import { webviewHtml } from '../webviewHtml';
import { checkRestoredPanel } from './restoreCheck';
import { giveToSandboxes, type GiveHost, type GiveMessage } from './giveSecret';

export const SECRETS_VIEW_TYPE = 'terrarium.secrets';

const keyOf = (id: PanelIdentity) => `${id.context}/${id.namespace}/${id.environment}`;

/**
 * One Secrets & Scaling panel per environment. A thin adapter: the controller (src/core/secrets)
 * does the reading and acting; this wires it to a WebviewPanel, modal confirmations, the clipboard
 * and the log. The webview persists only the panel's identity, so a reload restores the panel.
 */
/** What the panels use of the service container. */
export type PanelServices = Pick<Services, 'context' | 'log' | 'session' | 'settings'>;

export class SecretsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; controller: SecretsPanelController }>();

  constructor(private readonly s: PanelServices) {}

  async open(environment: string): Promise<void> {
    const cluster = await this.s.session.cluster();
    const id: PanelIdentity = { context: cluster.context, namespace: cluster.namespace, environment };
    const open = this.panels.get(keyOf(id));
    if (open) { open.panel.reveal(); return; }
    const panel = vscode.window.createWebviewPanel(SECRETS_VIEW_TYPE, title(id), vscode.ViewColumn.Active, this.options());
    // A panel that cannot reach its cluster would say "Loading…" forever: close it, the error is shown instead.
    await this.attach(panel, id).catch((e) => { panel.dispose(); throw e; });
  }

  /**
   * Restores a panel after a reload, from the identity the webview saved. That state is untrusted:
   * its context must be one of the kubeconfig's before anything is opened or shown.
   */
  async restore(panel: vscode.WebviewPanel, saved: unknown): Promise<void> {
    const verdict = checkRestoredPanel(saved, (await this.s.session.contexts()).contexts);
    if (!verdict.ok) {
      panel.dispose();
      this.s.log.warn(verdict.reason);
      void vscode.window.showWarningMessage(verdict.reason);
      return;
    }
    const { id } = verdict;
    if (this.panels.has(keyOf(id))) { panel.dispose(); return; }
    panel.webview.options = this.options();
    panel.title = title(id);
    await this.attach(panel, id);
  }

  /** The panel open for this environment, if any (for the extension's own tests). */
  controller(environment: string): SecretsPanelController | undefined {
    return [...this.panels.values()].find((p) => p.controller.environment === environment)?.controller;
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.s.context.extensionUri, 'dist')], enableFindWidget: true };
  }

  private async attach(panel: vscode.WebviewPanel, id: PanelIdentity): Promise<void> {
    const { log, session } = this.s;
    const key = keyOf(id);
    const dist = (f: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(this.s.context.extensionUri, 'dist', f)).toString();
    panel.webview.html = webviewHtml({
      title: title(id), cspSource: panel.webview.cspSource, scriptUri: dist('webview.js'),
      styleUris: [{ href: dist('codicon.css'), id: 'vscode-codicon-stylesheet' }, dist('webview.css')],
      bodyData: { identity: JSON.stringify(id) },
    });
    const cluster = await session.clusterFor(id.context, id.namespace);
    const { SecretsPanelController } = loadCore().secrets;
    const controller: SecretsPanelController = new SecretsPanelController(cluster, id.environment, {
      post: (msg) => void panel.webview.postMessage(msg),
      confirm: async (message, detail, action) => (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action,
      copyToClipboard: (text) => Promise.resolve(vscode.env.clipboard.writeText(text)),
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
    }, { maxReplicas: this.s.settings().maxReplicas });
    this.panels.set(key, { panel, controller });
    // Scaling is live from the tree's watch (same namespace); secrets are re-read on a timer. A burst
    // of watch events (20 pods starting) becomes one refresh, not one per event.
    let pending: NodeJS.Timeout | undefined;
    const unsubscribe = session.onDidChange(() => {
      if (pending || !panel.visible || session.currentContext !== id.context || session.namespace !== id.namespace) return;
      pending = setTimeout(() => { pending = undefined; void controller.refresh(); }, 500);
    });
    const subs = [
      panel.webview.onDidReceiveMessage((m) => {
        const give = parseWebviewMessage(m);
        if (give?.type === 'give') void this.give(cluster, id, give, (msg) => void panel.webview.postMessage(msg)).then(() => controller.refresh());
        else void controller.handle(m);
      }),
      panel.onDidChangeViewState((e) => controller.setVisible(e.webviewPanel.visible)),
      panel.onDidDispose(() => {
        unsubscribe();
        clearTimeout(pending);
        controller.dispose();
        this.panels.delete(key);
        for (const d of subs) d.dispose();
      }),
    ];
    controller.setVisible(panel.visible);
  }

  /** "Give to sandboxes": modal questions here, the flow in giveSecret.ts, errors as the panel's notice. */
  private async give(cluster: Cluster, id: PanelIdentity, msg: GiveMessage, post: (m: unknown) => void): Promise<void> {
    const core = loadCore();
    const host: GiveHost = {
      ask: async (message, detail, actions) => vscode.window.showWarningMessage(message, { modal: true, detail }, ...actions),
      notice: (level, message) => { post({ type: 'notice', level, message }); this.s.log.info(message); },
    };
    const maxReplicas = this.s.settings().maxReplicas;
    try {
      await giveToSandboxes(cluster, id.environment, msg, host, {
        plan: (c, env, change) => core.envUpdate.planEnvironmentUpdate(c, env, change, { maxReplicas }),
        apply: (c, plan) => core.envUpdate.updateEnvironment(c, plan),
        restartsOnRotation: (c, kind, name, sts) => core.restartTargets.restartsOnRotation(c, kind, name, sts),
        addRestartTarget: (c, kind, name, sts) => core.restartTargets.addRestartTarget(c, kind, name, sts),
      });
    } catch (e) {
      const text = isTerrariumError(e) ? e.text : e instanceof Error ? e.message : String(e);
      host.notice('error', text);
      this.s.log.warn(`Give ${msg.secret} to ${id.environment}: ${text}`);
    }
  }

  dispose(): void {
    for (const { panel } of [...this.panels.values()]) panel.dispose();
  }
}

function title(id: PanelIdentity): string {
  return `Secrets & Scaling: ${id.environment}`;
}

export function registerSecretsPanel(s: PanelServices, panels: SecretsPanels): vscode.Disposable[] {
  return [
    panels,
    vscode.window.registerWebviewPanelSerializer(SECRETS_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) => panels.restore(panel, state).catch((e) => {
        s.log.warn(`Could not restore a Secrets & Scaling panel: ${e instanceof Error ? e.message : String(e)}`);
        panel.dispose();
      }),
    }),
  ];
}
