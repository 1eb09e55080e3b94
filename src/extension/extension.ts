import * as vscode from 'vscode';
import { ClusterSession } from './clusterSession';
import { loadCore } from './core';
import { registerClusterCommands } from './commands/clusterCommands';
import { registerDoctorCommand } from './commands/doctorCommand';
import { registerInstallPlatformCommand } from './commands/installPlatformCommand';
import { registerLocalClusterCommands } from './commands/localClusterCommands';
import { registerEnvironmentCommands } from './commands/environmentCommands';
import { registerSandboxCommands } from './commands/sandboxCommands';
import { registerSessionCommands } from './commands/sessionCommands';
import { registerJobCommands } from './commands/jobCommands';
import { registerBrowserCommands } from './commands/browserCommands';
import { ForwardRegistry } from './forwards';
import { createLog, logAuditor } from './log';
import { installAuditor } from '../core/audit/slot';
import type { Services } from './services';
import { readSettings } from './settings';
import { registerSecretsPanel, SecretsPanels } from './secretsPanel/secretsPanel';
import { registerStatusBar } from './statusBar';
import { registerKubeconfigNotices } from './kubeconfigNotices';
import { registerTerminalProfile } from './terminal/terminalProfile';
import { registerTree } from './tree/registerTree';
import { TerrariumTreeProvider } from './tree/treeProvider';

/** What activate() returns: the extension's own services, for its tests in the real extension host. Not a stable API. */
export interface TerrariumExports {
  readonly session: ClusterSession;
  readonly tree: TerrariumTreeProvider;
  readonly panels: SecretsPanels;
}

/**
 * Returns at once: VS Code counts loading this file and the activate() call as the activation
 * (Developer: Show Running Extensions), and the view waits for it. The tree (its first rows come from
 * the kubeconfig alone) is registered here; commands, panels, the status bar and the terminal
 * profile right after, before the returned promise resolves. VS Code treats the extension as active
 * only then, so a command that activated it still finds itself registered. Nothing here loads the
 * core bundle (dist/cli.js) or makes a request: the tree does, once it is shown.
 */
export function activate(context: vscode.ExtensionContext): Promise<TerrariumExports> {
  const started = performance.now();
  const channel = vscode.window.createOutputChannel('Terrarium', { log: true });
  const log = createLog(channel);
  // Core operations (in the separately loaded core bundle) record into the log; see core/audit.
  const uninstallAuditor = installAuditor(logAuditor(channel));
  const settings = () => readSettings(vscode.workspace.getConfiguration('terrarium'), vscode.workspace.getConfiguration('remote.SSH'));
  const session = new ClusterSession(settings, context.workspaceState, loadCore);
  const s: Services = {
    context, log, settings, session,
    tree: new TerrariumTreeProvider(session, log, loadCore),
    forwards: new ForwardRegistry(),
    panels: new SecretsPanels({ context, log, settings, session }),
  };
  context.subscriptions.push(
    channel,
    { dispose: uninstallAuditor },
    { dispose: () => session.dispose() },
    { dispose: () => void s.forwards.dispose() },
    ...registerTree(s),
  );
  const returned = performance.now();
  return new Promise((resolve, reject) => setImmediate(() => {
    try {
      registerRest(s, session);
      log.info(`Terrarium activated: activate() ${(returned - started).toFixed(1)} ms${loadedIn(context)}; commands and panels registered ${(performance.now() - started).toFixed(1)} ms after its start`);
      resolve({ session, tree: s.tree, panels: s.panels });
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  }));
}

/**
 * How long the extension host took to load this file, from its own performance marks (the part of
 * VS Code's activation time before activate() runs), for the log and the package bench.
 */
function loadedIn(context: vscode.ExtensionContext): string {
  type Marks = { getMarks(): { name: string; startTime: number }[] };
  const marks = (globalThis as { MonacoPerformanceMarks?: Marks }).MonacoPerformanceMarks?.getMarks();
  const id = context.extension?.id;
  const at = (what: string) => marks?.find((m) => m.name === `code/extHost/${what}/${id}`)?.startTime;
  const will = at('willLoadExtensionCode'), did = at('didLoadExtensionCode');
  return will !== undefined && did !== undefined ? `, code loaded in ${did - will} ms (extension host marks)` : '';
}

/** Everything but the tree: registered right after activate() returned. */
function registerRest(s: Services, session: ClusterSession): void {
  s.context.subscriptions.push(
    ...registerClusterCommands(s),
    ...registerDoctorCommand(s),
    ...registerInstallPlatformCommand(s),
    ...registerLocalClusterCommands(s),
    ...registerEnvironmentCommands(s),
    ...registerSandboxCommands(s),
    ...registerSessionCommands(s),
    ...registerJobCommands(s),
    ...registerBrowserCommands(s),
    ...registerSecretsPanel(s, s.panels),
    ...registerStatusBar(s),
    ...registerKubeconfigNotices(session, s.log),
    ...registerTerminalProfile(s),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('terrarium') || e.affectsConfiguration('remote.SSH.configFile')) session.reset();
    }),
  );
}

export function deactivate(): void {}
