import * as vscode from 'vscode';
import { loadCore } from '../core';
import { COMMANDS } from '../commandIds';
import type { Services } from '../services';
import type { TreeNode } from '../tree/treeProvider';
import { guarded } from '../ui';
import { openTmuxTerminal } from '../terminal/tmuxTerminal';
import { SessionOutputViews } from '../terminal/sessionOutput';
import { SANDBOX_CONTAINER } from '../clusterSession';
import { SessionMonitor, type SessionEvent } from '../tree/sessionNodes';
import { allPresets, commandExists, installArgv, presetArgv, type AgentPreset } from '../../core/agents/presets';
import { terminalSafe } from '../../core/text/terminalSafe';
import { exitText } from '../../core/tmux/state';
import { pickSandbox, pickSession, reachableFilter } from './pickers';

/**
 * `terrarium.agents` from user settings only: a workspace must not choose commands that run in
 * your sandbox with your secrets.
 */
function agentsSetting(): unknown {
  const layers = vscode.workspace.getConfiguration('terrarium').inspect<unknown[]>('agents');
  return layers?.globalValue ?? [];
}

const config = () => vscode.workspace.getConfiguration('terrarium');

/** tmux agent sessions: terminals that survive disconnects, and agents started in the background. */
export function registerSessionCommands(s: Services): vscode.Disposable[] {
  const { log } = s;
  const outputs = new SessionOutputViews();

  const openTerminal = async (sandbox: string, session: string) => {
    const cluster = await s.session.cluster();
    const { execTtyConnector } = loadCore().execTty;
    // The core records the attach (and tmux new/send/capture/kill) itself.
    openTmuxTerminal(execTtyConnector(cluster, sandbox, SANDBOX_CONTAINER), sandbox, session);
    s.tree.refresh(true);
  };

  const showOutput = async (sandbox: string, session: string) => {
    const connect = async () => loadCore().execTty.execTtyConnector(await s.session.cluster(), sandbox, SANDBOX_CONTAINER);
    const f = await outputs.follow(connect, sandbox, session, () => s.session.tmux(sandbox).capture(session, 2000));
    await f.show();
  };

  const sandboxKey = (sandbox: string) => `sbx/${s.session.currentContext}/${s.session.namespace}/${sandbox}`;

  // Once per event (the monitor compares polls); never modal, never focus-stealing.
  const notify = async (e: SessionEvent) => {
    if (config().get<boolean>('sessionNotifications') === false) return;
    const name = terminalSafe(e.session.name);
    const last = e.session.lastLine ? `: ${terminalSafe(e.session.lastLine).slice(0, 120)}` : '';
    const actions = ['Open Terminal', 'Show Output'];
    const text = e.kind === 'exited'
      ? `Agent session ${name} in ${e.sandbox} exited (${exitText(e.session)})${last}`
      : `Agent session ${name} in ${e.sandbox} is asking for input${last}`;
    const failed = e.kind === 'exited' && (e.session.exitCode !== 0 || !!e.session.exitSignal);
    const pick = await (failed ? vscode.window.showWarningMessage(text, ...actions) : vscode.window.showInformationMessage(text, ...actions));
    if (pick === 'Open Terminal') {
      await openTerminal(e.sandbox, e.session.name);
      // Looked at: the bell is answered (tmux clears it for a client viewing the window anyway).
      if (e.kind === 'bell') await s.session.tmux(e.sandbox).clearAlerts(e.session.name).catch(() => undefined);
    }
    if (pick === 'Show Output') await showOutput(e.sandbox, e.session.name);
  };

  const monitor = new SessionMonitor({
    tmux: (sandbox) => s.session.tmux(sandbox),
    currentContext: () => s.session.currentContext,
    onChange: () => s.tree.refresh(),
    onEvent: (e) => { log.info(`agent session ${e.session.name} in ${e.sandbox}: ${e.kind}`); void notify(e); },
    pollSeconds: () => config().get<number>('sessionPollSeconds') ?? 10,
    warn: (m) => log.warn(m),
  });
  s.tree.sessions = monitor;

  /** Offers the image's helper when an agent's command is not in the sandbox; true when it is there. */
  const ensureInstalled = async (sandbox: string, p: AgentPreset): Promise<boolean> => {
    if (!p.command.length) return true;
    const cluster = await s.session.cluster();
    const exec = loadCore().exec.execRunner(cluster, SANDBOX_CONTAINER);
    if (await commandExists(exec, sandbox, p.command[0]!)) return true;
    const install = installArgv(p);
    const detail = install
      ? `Install it into the workspace with the image's helper: ${install.join(' ')} (it runs as an agent session, so you can watch it).`
      : `Install ${p.command[0]} in the sandbox's image or workspace, then try again.`;
    const pick = await vscode.window.showWarningMessage(`${p.label} (${p.command[0]}) is not installed in ${sandbox}. ${detail}`,
      ...(install ? ['Install'] : []));
    if (pick === 'Install' && install) {
      const name = `install-${p.id}`.slice(0, 64);
      const tmux = s.session.tmux(sandbox);
      const old = await tmux.get(name);
      if (old) await tmux.kill(name);
      await tmux.create(name, { command: install, cwd: '/workspace' });
      await monitor.track(sandboxKey(sandbox), sandbox, s.session.currentContext ?? '');
      await showOutput(sandbox, name);
    }
    return false;
  };

  const startSession = async (sandbox: string, name: string, p: AgentPreset) => {
    const tmux = s.session.tmux(sandbox);
    try {
      await tmux.create(name, { command: presetArgv(p), cwd: '/workspace' });
    } catch (e) {
      if (!(e as { exited?: boolean }).exited) throw e;
      // `tmux new` of a session that has exited: offer to run it again.
      const pick = await vscode.window.showWarningMessage((e as Error).message, 'Restart', 'Show Output');
      if (pick === 'Show Output') { await showOutput(sandbox, name); return; }
      if (pick !== 'Restart') return;
      await tmux.restart(name);
    }
    await monitor.track(sandboxKey(sandbox), sandbox, s.session.currentContext ?? '');
    s.tree.refresh(true);
    const now = await tmux.get(name).catch(() => undefined);
    if (now?.state === 'exited') {
      // A command that ends at once is not "running".
      const pick = await vscode.window.showWarningMessage(
        `Agent session ${name} in ${sandbox} exited at once (${exitText(now)})${now.lastLine ? `: ${terminalSafe(now.lastLine).slice(0, 160)}` : ''}`, 'Show Output');
      if (pick === 'Show Output') await showOutput(sandbox, name);
      return;
    }
    const open = await vscode.window.showInformationMessage(`Agent session ${name} is running in ${sandbox}.`, 'Open Terminal', 'Show Output');
    if (open === 'Open Terminal') await openTerminal(sandbox, name);
    if (open === 'Show Output') await showOutput(sandbox, name);
  };

  return [
    { dispose: () => { monitor.dispose(); s.tree.sessions = undefined; outputs.dispose(); } },

    vscode.commands.registerCommand(COMMANDS.openTerminal, (node?: TreeNode) => guarded(log, 'Open tmux terminal', async () => {
      if (node?.kind === 'session') return openTerminal(node.sandbox, node.session.name);
      const sandbox = await pickSandbox(s, node, await reachableFilter(s));
      if (sandbox) await openTerminal(sandbox, s.settings().defaultTmuxSession);
    })),

    vscode.commands.registerCommand(COMMANDS.newAgentSession, (node?: TreeNode) => guarded(log, 'New agent session', async () => {
      const sandbox = await pickSandbox(s, node, await reachableFilter(s));
      if (!sandbox) return;
      const { presets, errors } = allPresets(agentsSetting());
      for (const e of errors) log.warn(e);
      const picked = await vscode.window.showQuickPick(presets.map((p) => ({
        label: p.label, description: p.command.length ? p.command.join(' ') : 'a login shell', preset: p,
      })), { title: `New agent session in ${sandbox}`, placeHolder: 'What runs in the session', ignoreFocusOut: true });
      if (!picked) return;
      const p = picked.preset;
      const { validateSessionName } = loadCore().tmux;
      const name = await vscode.window.showInputBox({
        title: `Session name for ${p.label} in ${sandbox}`, prompt: 'Session name', value: p.session, ignoreFocusOut: true,
        validateInput: (v) => { try { validateSessionName(v); return undefined; } catch (e: any) { return e.text ?? e.message; } },
      });
      if (!name) return;
      if (!(await ensureInstalled(sandbox, p))) return;
      await startSession(sandbox, name, p);
    })),

    vscode.commands.registerCommand(COMMANDS.sendToSession, (node?: TreeNode) => guarded(log, 'Send text to agent session', async () => {
      const target = await pickSession(s, node);
      if (!target) return;
      const text = await vscode.window.showInputBox({ title: `Send to ${target.session} in ${target.sandbox}`, prompt: 'Typed into the session, followed by Enter', ignoreFocusOut: true });
      if (text === undefined) return;
      await s.session.tmux(target.sandbox).send(target.session, text, true);
    })),

    vscode.commands.registerCommand(COMMANDS.showSessionOutput, (node?: TreeNode) => guarded(log, 'Show agent session output', async () => {
      const target = await pickSession(s, node);
      if (target) await showOutput(target.sandbox, target.session);
    })),

    vscode.commands.registerCommand(COMMANDS.restartSession, (node?: TreeNode) => guarded(log, 'Restart agent session', async () => {
      const target = await pickSession(s, node, true);
      if (!target) return;
      // The same command in the same pane (respawn-pane); its log goes on where it stopped.
      await s.session.tmux(target.sandbox).restart(target.session);
      await monitor.track(sandboxKey(target.sandbox), target.sandbox, s.session.currentContext ?? '');
      s.tree.refresh(true);
      const open = await vscode.window.showInformationMessage(`Agent session ${target.session} is running again in ${target.sandbox}.`, 'Open Terminal', 'Show Output');
      if (open === 'Open Terminal') await openTerminal(target.sandbox, target.session);
      if (open === 'Show Output') await showOutput(target.sandbox, target.session);
    })),

    vscode.commands.registerCommand(COMMANDS.killSession, (node?: TreeNode) => guarded(log, 'Kill agent session', async () => {
      const target = await pickSession(s, node);
      if (!target) return;
      const ok = await vscode.window.showWarningMessage(`Kill agent session ${target.session} in ${target.sandbox}?`,
        { modal: true, detail: 'Whatever runs in it stops. Files in the workspace stay.' }, 'Kill Session');
      if (ok !== 'Kill Session') return;
      await s.session.tmux(target.sandbox).kill(target.session);
      outputs.stop(target.sandbox, target.session);
      s.tree.refresh(true);
    })),
  ];
}
