import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import type { TtyConnect, TtyHandle } from '../../core/tmux/reconnectingTerminal';
import { ControlStripper } from '../../core/agents/ansi';
import { followLogArgv } from '../../core/agents/sessionLog';
import { terminalSafe } from '../../core/text/terminalSafe';

export interface LogFollower {
  readonly ended: boolean;
  show(): void;
  /** Stops following; the channel keeps what it shows. */
  stop(): void;
  dispose(): void;
}

/**
 * "Show Output": a read-only output channel that follows the session's log in the workspace
 * (tail -F over exec, across rotations). Pane output is hostile text: every control sequence is
 * stripped before it is shown. Without a log (a session started before logs were kept) it shows
 * what the pane holds instead.
 */
export async function followSessionLog(connect: TtyConnect, sandbox: string, session: string, capture: () => Promise<string>): Promise<LogFollower> {
  const channel = vscode.window.createOutputChannel(`Terrarium: ${terminalSafe(sandbox)}/${terminalSafe(session)}`);
  const strip = new ControlStripper();
  const utf8 = new StringDecoder('utf8'); // a character split across chunks stays whole
  let ended = false;
  let handle: TtyHandle | undefined;
  let got = false;
  const argv = followLogArgv(session, 500);
  channel.appendLine(`── ${argv.at(-1)} in ${terminalSafe(sandbox)} (following) ──`);
  try {
    handle = await connect(argv, { cols: 500, rows: 50 }, {
      onData: (data) => {
        const text = strip.push(utf8.write(data));
        // tail's "cannot open" while the log does not exist yet: show the pane instead, once.
        if (!got && /tail: cannot open/.test(text)) {
          got = true;
          void capture().then((t) => channel.append(`(no log yet; the pane shows:)\n${strip.push(t)}\n`), () => undefined);
          return;
        }
        got = true;
        if (text) channel.append(text);
      },
      onExit: () => { ended = true; channel.appendLine('── stopped following ──'); },
    });
  } catch (e) {
    ended = true;
    channel.appendLine(`Could not follow the log: ${e instanceof Error ? e.message : String(e)}`);
    channel.append(strip.push(await capture().catch(() => '')));
  }
  return {
    get ended() { return ended; },
    show: () => channel.show(true),
    stop: () => { ended = true; handle?.close(); },
    dispose: () => { ended = true; handle?.close(); channel.dispose(); },
  };
}
