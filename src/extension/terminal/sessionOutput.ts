import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import type { TtyConnect, TtyHandle } from '../../core/tmux/reconnectingTerminal';
import { ControlStripper } from '../../core/agents/ansi';
import { followLogArgv } from '../../core/agents/sessionLog';

export const SESSION_OUTPUT_SCHEME = 'terrarium-session';
/** What a view keeps; older text is dropped (the whole log stays in the sandbox). */
const MAX_CHARS = 2_000_000;

export interface LogFollower {
  readonly uri: vscode.Uri;
  readonly ended: boolean;
  show(): Promise<void>;
  stop(): void;
  dispose(): void;
}

/**
 * "Show Output": a read-only document (like a log output channel) that follows the session's log
 * in the workspace, tail -F over exec (across rotations). Pane output is hostile text: every
 * control sequence is stripped before it is shown. Without a log (a session started before logs
 * were kept) it shows what the pane holds instead.
 */
export class SessionOutputViews implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly texts = new Map<string, string>();
  private readonly followers = new Map<string, LogFollower>();
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(SESSION_OUTPUT_SCHEME, this);
  // A closed view stops its tail (VS Code closes a document some time after its last editor).
  private readonly closing = vscode.workspace.onDidCloseTextDocument((doc) => {
    if (doc.uri.scheme !== SESSION_OUTPUT_SCHEME) return;
    this.followers.get(doc.uri.toString())?.dispose();
    this.followers.delete(doc.uri.toString());
    this.texts.delete(doc.uri.toString());
  });

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  private append(uri: vscode.Uri, text: string): void {
    if (!text) return;
    const key = uri.toString();
    let all = (this.texts.get(key) ?? '') + text;
    if (all.length > MAX_CHARS) all = all.slice(all.length - MAX_CHARS);
    this.texts.set(key, all);
    this.changed.fire(uri);
  }

  /** Opens (or shows again) the view of one session, following its log. */
  async follow(connect: () => Promise<TtyConnect>, sandbox: string, session: string, capture: () => Promise<string>): Promise<LogFollower> {
    const uri = vscode.Uri.from({ scheme: SESSION_OUTPUT_SCHEME, path: `/${sandbox}/${session}.log` });
    const key = uri.toString();
    const existing = this.followers.get(key);
    if (existing && !existing.ended) return existing;
    this.texts.set(key, '');
    const strip = new ControlStripper();
    const utf8 = new StringDecoder('utf8'); // a character split across chunks stays whole
    let ended = false;
    let handle: TtyHandle | undefined;
    let first = true;
    const argv = followLogArgv(session, 500);
    const fallback = async (why: string) => {
      this.append(uri, `(${why}; the pane shows:)\n${strip.push(await capture().catch((e) => `(${e instanceof Error ? e.message : String(e)})`))}\n`);
    };
    try {
      handle = await (await connect())(argv, { cols: 500, rows: 50 }, {
        onData: (data) => {
          const text = strip.push(utf8.write(data));
          // tail's "cannot open" while there is no log: show the pane instead, once.
          if (first && /tail: cannot open/.test(text)) { first = false; void fallback('no log in the workspace yet'); return; }
          first = false;
          this.append(uri, text);
        },
        onExit: () => { ended = true; this.append(uri, '\n── stopped following ──\n'); },
      });
    } catch (e) {
      ended = true;
      await fallback(`could not follow the log: ${e instanceof Error ? e.message : String(e)}`);
    }
    const follower: LogFollower = {
      uri,
      get ended() { return ended; },
      show: async () => { await vscode.window.showTextDocument(uri, { preview: true }); },
      stop: () => { ended = true; handle?.close(); },
      dispose: () => { ended = true; handle?.close(); },
    };
    this.followers.set(key, follower);
    return follower;
  }

  /** Stops following one session (it was killed). */
  stop(sandbox: string, session: string): void {
    const uri = vscode.Uri.from({ scheme: SESSION_OUTPUT_SCHEME, path: `/${sandbox}/${session}.log` });
    this.followers.get(uri.toString())?.stop();
  }

  dispose(): void {
    for (const f of this.followers.values()) f.dispose();
    this.registration.dispose();
    this.closing.dispose();
    this.changed.dispose();
  }
}
