/**
 * Every command Terrarium contributes, in one list. A unit test checks it against package.json
 * both ways, so a command can't be declared without a handler or registered without a declaration.
 * No vscode import: the test runs in plain Node.
 */
export const COMMANDS = {
  refresh: 'terrarium.refresh',
  filterSandboxes: 'terrarium.filterSandboxes',
  filterSandboxesActive: 'terrarium.filterSandboxesActive',
  createEnvironment: 'terrarium.createEnvironment',
  scaleEnvironment: 'terrarium.scaleEnvironment',
  stopEnvironment: 'terrarium.stopEnvironment',
  startEnvironment: 'terrarium.startEnvironment',
  deleteEnvironment: 'terrarium.deleteEnvironment',
  restartSandbox: 'terrarium.restartSandbox',
  claimSandbox: 'terrarium.claimSandbox',
  releaseSandbox: 'terrarium.releaseSandbox',
  connectNewWindow: 'terrarium.connectNewWindow',
  connectCurrentWindow: 'terrarium.connectCurrentWindow',
  openTerminal: 'terrarium.openTerminal',
  newAgentSession: 'terrarium.newAgentSession',
  sendToSession: 'terrarium.sendToSession',
  showSessionOutput: 'terrarium.showSessionOutput',
  killSession: 'terrarium.killSession',
  restartSession: 'terrarium.restartSession',
  showLogs: 'terrarium.showLogs',
  showEvents: 'terrarium.showEvents',
  switchContext: 'terrarium.switchContext',
  switchNamespace: 'terrarium.switchNamespace',
  copySshCommand: 'terrarium.copySshCommand',
  forwardPort: 'terrarium.forwardPort',
  stopForward: 'terrarium.stopForward',
  openInBrowser: 'terrarium.openInBrowser',
  stopBrowser: 'terrarium.stopBrowser',
  openSecretsPanel: 'terrarium.openSecretsPanel',
  showOutput: 'terrarium.showOutput',
  runDoctor: 'terrarium.runDoctor',
  installPlatform: 'terrarium.installPlatform',
  createLocalCluster: 'terrarium.createLocalCluster',
  showJobLogs: 'terrarium.showJobLogs',
  deleteJob: 'terrarium.deleteJob',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];
export const ALL_COMMAND_IDS: readonly CommandId[] = Object.values(COMMANDS);
