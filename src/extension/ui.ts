import * as vscode from 'vscode';
import { isTerrariumError, TerrariumError } from '../core/kube/errors';
import type { Log } from './log';
import { COMMANDS } from './commandIds';

/**
 * Shows an error a person can act on. TerrariumErrors are expected failures: their message and
 * hint, with an action where one exists. Anything else is a bug: a short message, the stack in
 * the log, and a button to open it.
 */
export async function showError(log: Log, what: string, e: unknown): Promise<void> {
  if (isTerrariumError(e, 'Cancelled')) return;
  if (isTerrariumError(e)) {
    log.warn(`${what}: ${e.text}`);
    const actions = actionsFor(e);
    const pick = await vscode.window.showErrorMessage(`${what}: ${e.message}`, { detail: e.hint, modal: false } as vscode.MessageOptions,
      ...actions.map((a) => a.title), 'Show Log');
    if (pick === 'Show Log') log.show();
    else actions.find((a) => a.title === pick)?.run();
    return;
  }
  log.error(`${what} failed unexpectedly`, e);
  const pick = await vscode.window.showErrorMessage(`${what} failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`, 'Show Log');
  if (pick === 'Show Log') log.show();
}

function actionsFor(e: TerrariumError): { title: string; run(): void }[] {
  switch (e.code) {
    case 'Unauthorized':
    case 'NoContext':
    case 'BadKubeconfig':
    case 'NoKubeconfig':
      return [{ title: 'Switch Context', run: () => void vscode.commands.executeCommand(COMMANDS.switchContext) }];
    case 'Unreachable':
    case 'TooManyRequests':
    case 'ServerError':
      return [{ title: 'Retry', run: () => void vscode.commands.executeCommand(COMMANDS.refresh) }];
    default:
      return [];
  }
}

/** A long action with a cancellable progress notification; cancellation becomes an AbortSignal. */
export function withProgress<T>(title: string, fn: (signal: AbortSignal, report: (message: string) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      return fn(ac.signal, (message) => progress.report({ message })).finally(() => sub.dispose());
    },
  );
}

/** Runs a command body, turning any failure into a message; returns undefined on failure. */
export async function guarded<T>(log: Log, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    await showError(log, what, e);
    return undefined;
  }
}
