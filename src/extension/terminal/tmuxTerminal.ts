import * as vscode from 'vscode';
import { ReconnectingTerminal, type TtyConnect } from '../../core/tmux/reconnectingTerminal';
import { attachArgv } from '../../core/tmux/attach';

/**
 * A VS Code terminal attached to a tmux session in a sandbox, over the exec API with a TTY.
 * Thin adapter: reconnect logic lives in core. Closing the terminal detaches; the session stays.
 */
export function createTmuxPty(connect: TtyConnect, sandbox: string, session: string, onOpened?: () => void): vscode.Pseudoterminal {
  const write = new vscode.EventEmitter<string>();
  const close = new vscode.EventEmitter<number | void>();
  const term = new ReconnectingTerminal(connect, attachArgv(session), {
    output: (text) => write.fire(text),
    closed: (code) => close.fire(code),
  }, `${sandbox} (tmux ${session})`);
  return {
    onDidWrite: write.event,
    onDidClose: close.event,
    open: (dims) => {
      write.fire(`\x1b[2m[Terrarium] Attaching to tmux session "${session}" in ${sandbox}…\x1b[0m\r\n`);
      void term.open(dims ? { cols: dims.columns, rows: dims.rows } : undefined).then(onOpened);
    },
    handleInput: (data) => term.input(data),
    setDimensions: (dims) => term.resize({ cols: dims.columns, rows: dims.rows }),
    close: () => {
      term.close();
      write.dispose();
      close.dispose();
    },
  };
}

export function openTmuxTerminal(connect: TtyConnect, sandbox: string, session: string): vscode.Terminal {
  const terminal = vscode.window.createTerminal({
    name: `${sandbox}: ${session}`,
    pty: createTmuxPty(connect, sandbox, session),
    iconPath: new vscode.ThemeIcon('terminal-tmux'),
  });
  terminal.show();
  return terminal;
}
