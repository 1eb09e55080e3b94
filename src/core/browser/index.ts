/** The workspace in a browser: a VS Code server in the sandbox, reached through a local port-forward. */
export { BrowserSession, DEFAULT_IDLE_MS, isNoServerError, noServerError, SERVER_AUTO_SHUTDOWN_MS, startBrowserSession, type BrowserSessionOptions, type StopReason } from './session';
export { installServer } from './install';
export { IMAGE_SERVER_DIRS, SERVER_DATA_DIR, WORKSPACE_SERVER_DIR } from './launcher';
export { openerArgv, openInBrowser } from './opener';
