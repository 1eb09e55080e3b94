import type * as vscode from 'vscode';
import type { ClusterSession } from './clusterSession';
import type { Log } from './log';
import type { TerrariumSettings } from './settings';
import type { TerrariumTreeProvider } from './tree/treeProvider';
import type { ForwardRegistry } from './forwards';
import type { SecretsPanels } from './secretsPanel/secretsPanel';

/** The small container of services that extension.ts builds and every registerX() receives. */
export interface Services {
  context: vscode.ExtensionContext;
  log: Log;
  settings(): TerrariumSettings;
  session: ClusterSession;
  tree: TerrariumTreeProvider;
  forwards: ForwardRegistry;
  panels: SecretsPanels;
}
